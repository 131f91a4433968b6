public import NIOCore

/// The body of a benchmark message: a sequence number and a send time (16 hex digits each),
/// then filler derived from the sequence number, so that the receiver can tell a lost, a
/// repeated, a reordered and a corrupted message apart.
public enum BenchBody {
    /// The fewest bytes a body can have (the two numbers).
    public static let minimumSize = 32

    /// Appends a body of `size` bytes (32...239) to `buffer`.
    public static func write(sequence: UInt64, sentAt: UInt64, size: Int, to buffer: inout ByteBuffer) {
        Self.writeHex(sequence, to: &buffer)
        Self.writeHex(sentAt, to: &buffer)
        for index in 0..<(size - Self.minimumSize) {
            buffer.writeInteger(Self.filler(sequence: sequence, index: index))
        }
    }

    /// Reads a body: its sequence number and send time, or `nil` if it is not one of ours or
    /// its filler is corrupted.
    public static func read(_ body: ByteBuffer) -> (sequence: UInt64, sentAt: UInt64)? {
        guard body.readableBytes >= Self.minimumSize,
            let sequence = Self.readHex(body, at: body.readerIndex),
            let sentAt = Self.readHex(body, at: body.readerIndex + 16)
        else { return nil }
        let filler = body.readableBytesView.dropFirst(Self.minimumSize)
        for (index, byte) in filler.enumerated() where byte != Self.filler(sequence: sequence, index: index) {
            return nil
        }
        return (sequence, sentAt)
    }

    private static func filler(sequence: UInt64, index: Int) -> UInt8 {
        UInt8(ascii: "a") + UInt8((sequence &+ UInt64(index)) % 26)
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func writeHex(_ value: UInt64, to buffer: inout ByteBuffer) {
        for shift in stride(from: 60, through: 0, by: -4) {
            buffer.writeInteger(Self.digits[Int((value >> UInt64(shift)) & 0xF)])
        }
    }

    private static func readHex(_ buffer: ByteBuffer, at index: Int) -> UInt64? {
        guard let bytes = buffer.getBytes(at: index, length: 16) else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}
