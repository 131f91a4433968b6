/// Decodes raw terminal bytes into keys: UTF-8 characters, control keys, and the escape
/// sequences of xterm-like terminals (CSI and SS3). Bytes may arrive split anywhere; an
/// incomplete sequence waits for the next bytes.
public struct KeyDecoder: Sendable {
    private var pending: [UInt8] = []

    /// A decoder with nothing pending.
    public init() {}

    /// Feeds bytes; returns the complete keys they finish.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Key] {
        self.pending.append(contentsOf: bytes)
        var keys: [Key] = []
        var index = 0
        while index < self.pending.count {
            guard let (key, length) = Self.decodeOne(self.pending[index...]) else { break }
            keys.append(key)
            index += length
        }
        self.pending.removeFirst(index)
        // Guard against a flood of bytes that never complete a key.
        if self.pending.count > 32 { self.pending.removeAll() }
        return keys
    }

    /// One key from the start of `bytes` and how many bytes it took, or `nil` if incomplete.
    private static func decodeOne(_ bytes: ArraySlice<UInt8>) -> (Key, Int)? {
        guard let first = bytes.first else { return nil }
        switch first {
        case 0x1B: return self.escape(bytes)
        case 0x0D, 0x0A: return (.enter, 1)
        case 0x7F, 0x08: return (.backspace, 1)
        case 0x09: return (.tab, 1)
        case 0x01: return (.home, 1)
        case 0x05: return (.end, 1)
        case 0x02: return (.left, 1)
        case 0x06: return (.right, 1)
        case 0x10: return (.up, 1)
        case 0x0E: return (.down, 1)
        case 0x15: return (.killToStart, 1)
        case 0x17: return (.deleteWordBefore, 1)
        case 0x04: return (.endOfInput, 1)
        case 0x03: return (.interrupt, 1)
        case 0x0C: return (.redraw, 1)
        case 0x00..<0x20: return (.ignored, 1)
        default: return self.utf8(bytes)
        }
    }

    private static func utf8(_ bytes: ArraySlice<UInt8>) -> (Key, Int)? {
        guard let first = bytes.first else { return nil }
        let length: Int
        switch first {
        case 0x00..<0x80: length = 1
        case 0xC2..<0xE0: length = 2
        case 0xE0..<0xF0: length = 3
        case 0xF0..<0xF5: length = 4
        default: return (.ignored, 1)
        }
        guard bytes.count >= length else { return nil }
        let sequence = Array(bytes.prefix(length))
        guard sequence.dropFirst().allSatisfy({ $0 & 0xC0 == 0x80 }),
            let scalar = String(validating: sequence, as: UTF8.self)?.unicodeScalars.first
        else { return (.ignored, 1) }
        return (.character(Character(scalar)), length)
    }

    private static func escape(_ bytes: ArraySlice<UInt8>) -> (Key, Int)? {
        let start = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        let kind = bytes[start + 1]
        if kind == UInt8(ascii: "O") {
            guard bytes.count >= 3 else { return nil }
            switch bytes[start + 2] {
            case UInt8(ascii: "H"): return (.home, 3)
            case UInt8(ascii: "F"): return (.end, 3)
            case UInt8(ascii: "A"): return (.up, 3)
            case UInt8(ascii: "B"): return (.down, 3)
            case UInt8(ascii: "C"): return (.right, 3)
            case UInt8(ascii: "D"): return (.left, 3)
            default: return (.ignored, 3)
            }
        }
        guard kind == UInt8(ascii: "[") else { return (.ignored, 1) }
        // CSI: parameter bytes 0x30...0x3F, intermediates 0x20...0x2F, then a final byte 0x40...0x7E.
        var index = start + 2
        while index < bytes.endIndex, (0x20...0x3F).contains(bytes[index]) { index += 1 }
        guard index < bytes.endIndex else { return nil }
        let final = bytes[index]
        let parameters = String(decoding: bytes[(start + 2)..<index], as: UTF8.self)
        let length = index - start + 1
        switch (final, parameters) {
        case (UInt8(ascii: "A"), _): return (.up, length)
        case (UInt8(ascii: "B"), _): return (.down, length)
        case (UInt8(ascii: "C"), _): return (.right, length)
        case (UInt8(ascii: "D"), _): return (.left, length)
        case (UInt8(ascii: "H"), _): return (.home, length)
        case (UInt8(ascii: "F"), _): return (.end, length)
        case (UInt8(ascii: "~"), "1"), (UInt8(ascii: "~"), "7"): return (.home, length)
        case (UInt8(ascii: "~"), "4"), (UInt8(ascii: "~"), "8"): return (.end, length)
        case (UInt8(ascii: "~"), "3"): return (.delete, length)
        default: return (.ignored, length)
        }
    }
}
