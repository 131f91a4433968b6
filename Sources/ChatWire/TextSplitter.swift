/// Splits text into bodies of at most 239 UTF-8 bytes without cutting a character in two.
public enum TextSplitter {
    /// The pieces of `text`, in order; each at most `maxBytes` bytes of UTF-8. Splits between
    /// characters (grapheme clusters); a single character longer than `maxBytes` is split between
    /// its Unicode scalars. Empty text gives no pieces.
    public static func split(_ text: String, maxBytes: Int = Wire.maxBodyLength) -> [String] {
        precondition(maxBytes >= 4, "room for any one Unicode scalar")
        var pieces: [String] = []
        var current = ""
        var used = 0
        func flush() {
            if !current.isEmpty { pieces.append(current) }
            current = ""
            used = 0
        }
        for character in text {
            let size = character.utf8.count
            if size > maxBytes {
                for scalar in character.unicodeScalars {
                    let scalarSize = scalar.utf8.count
                    if used + scalarSize > maxBytes { flush() }
                    current.unicodeScalars.append(scalar)
                    used += scalarSize
                }
                continue
            }
            if used + size > maxBytes { flush() }
            current.append(character)
            used += size
        }
        flush()
        return pieces
    }
}
