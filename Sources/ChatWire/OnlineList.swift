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
        // The header `List k/n` grows with the number of digits of n; pack assuming `digits`
        // and retry with one more digit in the rare case the part count outgrew it.
        var digits = 1
        while true {
            let parts = Self.pack(sorted, digits: digits, word: word)
            if String(parts.count).count <= digits { return parts }
            digits += 1
        }
    }

    /// Packs greedily, reserving room for `word`, a space, and two numbers of `digits` digits and `/`.
    private static func pack(_ sorted: [ChatName], digits: Int, word: String) -> [ListPart] {
        let capacity = Wire.maxBodyLength - (word.utf8.count + 1 + 2 * digits + 1)
        var groups: [[ChatName]] = [[]]
        var used = 0
        for name in sorted {
            let cost = 1 + name.length
            if used + cost > capacity {
                groups.append([])
                used = 0
            }
            groups[groups.count - 1].append(name)
            used += cost
        }
        return groups.enumerated().map { ListPart(index: $0.offset + 1, count: groups.count, names: $0.element) }
    }
}
