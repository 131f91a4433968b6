/// Encodes the online list as `List k/n` parts, each body at most 239 bytes.
public enum OnlineList {
    /// Splits `names` (sorted here by byte order) into as few parts as fit; an empty list is
    /// the single part `List 1/1`. `word` is what precedes `k/n` in each body (`List`, or
    /// `Online <version>`): its length decides how many names fit.
    public static func parts(of names: [ChatName], word: String = "List") -> [ListPart] {
        Self.parts(ofSorted: names.sorted(), word: word)
    }

    /// `parts(of:word:)` for names already sorted by byte order.
    public static func parts(ofSorted sorted: [ChatName], word: String = "List") -> [ListPart] {
        // The head is `word`, a space, then `k/n` (`PartPacking`); each name takes a space and itself.
        let groups = PartPacking.groups(
            sorted, headLength: { word.utf8.count + 1 + 2 * $0 + 1 }, cost: { 1 + $0.length })
        return groups.enumerated().map { ListPart(index: $0.offset + 1, count: groups.count, names: $0.element) }
    }
}
