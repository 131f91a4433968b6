public import NIOCore

/// Cuts the byte stream into frames: a SwiftNIO single-step decoder.
///
/// It looks for the NUL within the first 256 readable bytes only, so it never holds more than
/// one frame's worth of an unfinished frame: 256 bytes without a NUL is `FrameError.missingTerminator`.
/// Each frame it yields is a slice of the received buffer (no copy). NULs between frames are
/// padding (`FramePadding`), skipped.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    /// Decoded frames.
    public typealias InboundOut = Frame

    /// Its only state: a run of padding NULs that the last bytes left open.
    private var padding = FramePadding()

    /// A decoder at the start of a stream.
    public init() {}

    /// Yields the next complete frame, or `nil` when more bytes are needed.
    public mutating func decode(buffer: inout ByteBuffer) throws -> Frame? {
        if self.padding.isOpen { try self.padding.skip(&buffer) }
        guard let header = try self.padding.header(skippingPaddingIn: &buffer) else { return nil }
        guard let wire = buffer.readSlice(length: header.length) else {
            preconditionFailure("a scanned frame lies inside the readable bytes")
        }
        return Frame(destination: header.destination, source: header.source, validatedWire: wire)
    }

    /// Checks the frame at the start of `buffer`'s readable bytes without consuming or copying
    /// anything: its names and length, or `nil` if it is not complete yet. A NUL first is
    /// `tooShort(0)`: padding, which `FramePadding.header(skippingPaddingIn:)` skips.
    ///
    /// This is the whole of the decoding rules; `decode(buffer:)` and the server's read path
    /// (which forwards runs of frames as one slice) both rest on it.
    public static func header(of buffer: ByteBuffer) throws(FrameError) -> FrameHeader? {
        let window = min(buffer.readableBytes, Wire.maxFrameLength)
        let nulOffset = buffer.withUnsafeReadableBytes { bytes in
            Self.firstZero(in: UnsafeRawBufferPointer(rebasing: bytes[..<window]))
        }
        guard let nulOffset else {
            if window == Wire.maxFrameLength { throw .missingTerminator }
            return nil
        }
        guard nulOffset >= Wire.headerLength else { throw .tooShort(nulOffset) }
        let start = buffer.readerIndex
        guard let destinationField = buffer.getInteger(at: start, endianness: .big, as: UInt64.self),
            let sourceField = buffer.getInteger(at: start + Wire.nameLength, endianness: .big, as: UInt64.self)
        else {
            preconditionFailure("at least 16 readable bytes precede the NUL")
        }
        let destination: ChatName
        let source: ChatName
        do {
            destination = try ChatName(field: destinationField)
        } catch {
            throw .badName(.destination, error)
        }
        do {
            source = try ChatName(field: sourceField)
        } catch {
            throw .badName(.source, error)
        }
        return FrameHeader(destination: destination, source: source, length: nulOffset + 1)
    }

    /// The offset of the first zero byte, looking at eight bytes at a time.
    @inline(__always)
    public static func firstZero(in bytes: UnsafeRawBufferPointer) -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            // Non-zero iff some byte is zero; the lowest flagged byte is always a true zero.
            let flags = (word &- ones) & ~word & highs
            if flags != 0 { return offset + flags.trailingZeroBitCount / 8 }
            offset += 8
        }
        while offset < bytes.count {
            if bytes[offset] == 0 { return offset }
            offset += 1
        }
        return nil
    }

    /// At the end of the stream: the remaining complete frames, then `FrameError.truncated` for a partial one.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Frame? {
        if let frame = try self.decode(buffer: &buffer) { return frame }
        if buffer.readableBytes > 0 {
            let count = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: count)
            throw FrameError.truncated(count)
        }
        return nil
    }
}
