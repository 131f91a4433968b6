public import NIOCore

/// A client id or reserved address: 1 to 8 bytes of printable ASCII (0x21...0x7E).
///
/// Stored as the 8 space-padded wire bytes packed big-endian into a `UInt64`, so that equality and
/// hashing cost one integer operation on the server's hot path, and `<` is the protocol's byte
/// order (the padding space, 0x20, sorts below every byte a name may hold).
public struct ChatName: Hashable, Comparable, Sendable {
    /// The 8 padded wire bytes, big-endian.
    public let packed: UInt64

    /// The server's own address, `-SERVER-`.
    public static let server = ChatName(unchecked: "-SERVER-")
    /// The broadcast address, `ALL`.
    public static let all = ChatName(unchecked: "ALL")

    /// Whether no client may take this name (`-SERVER-` or `ALL`).
    public var isReserved: Bool { self == .server || self == .all }

    private init(packed: UInt64) { self.packed = packed }

    private init(unchecked text: StaticString) {
        var packed: UInt64 = 0
        text.withUTF8Buffer { bytes in
            for index in 0..<Wire.nameLength {
                packed = packed << 8 | UInt64(index < bytes.count ? bytes[index] : Wire.padding)
            }
        }
        self.packed = packed
    }

    /// Validates `text` as a name: 1 to 8 bytes, each printable ASCII and not a space.
    public init(validating text: some StringProtocol) throws(NameError) {
        try self.init(validatingBytes: text.utf8)
    }

    /// Validates `bytes` as a name, as `init(validating:)`, without making a string: lists of
    /// thousands of names are parsed with it.
    public init(validatingBytes bytes: some Collection<UInt8>) throws(NameError) {
        let count = bytes.count
        guard count > 0 else { throw .empty }
        guard count <= Wire.nameLength else { throw .tooLong(count) }
        var packed: UInt64 = 0
        for byte in bytes {
            guard (0x21...0x7E).contains(byte) else { throw .invalidByte(byte) }
            packed = packed << 8 | UInt64(byte)
        }
        for _ in count..<Wire.nameLength { packed = packed << 8 | UInt64(Wire.padding) }
        self.packed = packed
    }

    /// Decodes one 8-byte name field, given as its bytes packed big-endian: printable ASCII,
    /// right-padded with spaces, not all spaces.
    ///
    /// Every frame's two names pass through here, so the common valid case is checked on all
    /// eight bytes at once (SWAR); only an invalid field takes the byte loop that says why.
    public init(field packed: UInt64) throws(FrameError.NameFault) {
        if Self.isValidField(packed) {
            self.packed = packed
            return
        }
        var sawPadding = false
        for shift in stride(from: 56, through: 0, by: -8) {
            let byte = UInt8(truncatingIfNeeded: packed >> UInt64(shift))
            if byte == Wire.padding {
                sawPadding = true
            } else {
                guard (0x21...0x7E).contains(byte) else { throw .invalidByte(byte) }
                guard !sawPadding else { throw .spaceInside }
            }
        }
        guard packed >> 56 != UInt64(Wire.padding) else { throw .blank }
        self.packed = packed
    }

    /// Whether all eight bytes are 0x20...0x7E, the spaces (if any) form a run at the end, and
    /// at least one byte is not a space.
    @inline(__always)
    static func isValidField(_ x: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let anyBelowSpace = (x &- ones &* 0x20) & ~x & highs
        let anyAboveTilde = ((x &+ ones &* (127 - 0x7E)) | x) & highs
        guard anyBelowSpace | anyAboveTilde == 0 else { return false }
        // The high bit of every byte that is a space (exact: no false positives).
        let y = x ^ (ones &* 0x20)
        let spaces = ~(((y & lows) &+ lows) | y | lows)
        let count = spaces.nonzeroBitCount
        guard count < 8 else { return false }
        // Spaces only at the end of the name: the low `count` bytes.
        let tail: UInt64 = count == 0 ? 0 : (UInt64.max >> UInt64(64 - 8 * count)) & highs
        return spaces == tail
    }

    /// The name without its padding.
    public var text: String {
        String(decoding: self.trimmedBytes, as: UTF8.self)
    }

    /// The name's bytes without padding.
    public var trimmedBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Wire.nameLength)
        for shift in stride(from: 56, through: 0, by: -8) {
            let byte = UInt8(truncatingIfNeeded: self.packed >> UInt64(shift))
            if byte == Wire.padding { break }
            bytes.append(byte)
        }
        return bytes
    }

    /// The number of bytes of the name without padding (1...8).
    public var length: Int {
        var length = Wire.nameLength
        var rest = self.packed
        while rest & 0xFF == UInt64(Wire.padding) {
            length -= 1
            rest >>= 8
        }
        return length
    }

    /// Appends the 8 padded wire bytes to `buffer`.
    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        buffer.writeInteger(self.packed, endianness: .big)
    }

    /// Byte order of the names (the padded fields compare as big-endian integers).
    public static func < (lhs: ChatName, rhs: ChatName) -> Bool { lhs.packed < rhs.packed }
}

extension ChatName: CustomStringConvertible {
    /// The name without its padding.
    public var description: String { self.text }
}

extension ChatName {
    /// Why a string is not a valid name.
    public enum NameError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The string is empty.
        case empty
        /// The string has more than 8 bytes (the count).
        case tooLong(Int)
        /// The string holds a byte outside 0x21...0x7E (a space, a control character or non-ASCII).
        case invalidByte(UInt8)

        /// The reason, in words for a person.
        public var description: String {
            switch self {
            case .empty: "a name cannot be empty"
            case .tooLong(let count): "a name has at most 8 bytes, this one has \(count)"
            case .invalidByte(let byte):
                byte == Wire.padding
                    ? "a name cannot contain a space"
                    : "a name holds printable ASCII only (found byte 0x\(String(byte, radix: 16, uppercase: true)))"
            }
        }
    }
}
