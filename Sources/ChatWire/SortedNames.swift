/// A sorted list of ids changed by joins and leaves without sorting it again: what a client of
/// change events does with each `Changed` set (O(n + k log k) for k changes to n names, where
/// sorting the whole list would be O(n log n) per set).
public enum SortedNames {
    /// `sorted` (by byte order, no repeats) without `left` and with `joined`, still sorted.
    public static func applying(joined: [ChatName], left: [ChatName], to sorted: [ChatName]) -> [ChatName] {
        let leaving = Set(left)
        let kept = leaving.isEmpty ? sorted : sorted.filter { !leaving.contains($0) }
        guard !joined.isEmpty else { return kept }
        let arriving = joined.sorted()
        var merged: [ChatName] = []
        merged.reserveCapacity(kept.count + arriving.count)
        var old = kept.startIndex
        var new = arriving.startIndex
        while old < kept.endIndex, new < arriving.endIndex {
            if arriving[new] < kept[old] {
                merged.append(arriving[new])
                new += 1
            } else {
                // A name that joins while listed already (not sent by a server that keeps its
                // versions) is kept once.
                if arriving[new] == kept[old] { new += 1 }
                merged.append(kept[old])
                old += 1
            }
        }
        merged.append(contentsOf: kept[old...])
        merged.append(contentsOf: arriving[new...])
        return merged
    }
}
