public import NIOCore

/// The body of a benchmark message: a sequence number and a send time (16 hex digits each),
/// then filler derived from the sequence number, so that the receiver can tell a lost, a
/// repeated, a reordered and a corrupted message apart.
///
/// Written and read through raw pointers, once per message: the load generator must cost far
/// less per message than the server it measures.
public enum BenchBody {
    /// The fewest bytes a body can have (the two numbers).
    public static let minimumSize = 32

    /// Appends a body of `size` bytes (32...239; a smaller size still writes the 32 bytes of
    /// the two numbers) to `buffer`.
    public static func write(sequence: UInt64, sentAt: UInt64, size: Int, to buffer: inout ByteBuffer) {
        let size = max(size, Self.minimumSize)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
            Self.writeHex(sequence, to: out, at: 0)
            Self.writeHex(sentAt, to: out, at: 16)
            for index in 0..<(size - Self.minimumSize) {
                out[Self.minimumSize + index] = Self.filler(sequence: sequence, index: index)
            }
            return size
        }
    }

    /// Reads a body: its sequence number and send time, or `nil` if it is not one of ours or
    /// its filler is corrupted.
    public static func read(_ body: ByteBuffer) -> (sequence: UInt64, sentAt: UInt64)? {
        body.withUnsafeReadableBytes { bytes in
            guard bytes.count >= Self.minimumSize,
                let sequence = Self.readHex(bytes, at: 0),
                let sentAt = Self.readHex(bytes, at: 16)
            else { return nil }
            for index in 0..<(bytes.count - Self.minimumSize)
            where bytes[Self.minimumSize + index] != Self.filler(sequence: sequence, index: index) {
                return nil
            }
            return (sequence, sentAt)
        }
    }

    private static func filler(sequence: UInt64, index: Int) -> UInt8 {
        UInt8(ascii: "a") + UInt8((sequence &+ UInt64(index)) % 26)
    }

    private static func writeHex(_ value: UInt64, to out: UnsafeMutableRawBufferPointer, at offset: Int) {
        for digit in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * digit)) & 0xF
            out[offset + digit] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
        }
    }

    private static func readHex(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64? {
        var value: UInt64 = 0
        for digit in 0..<16 {
            let byte = bytes[offset + digit]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }
}
