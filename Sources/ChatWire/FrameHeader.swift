public import NIOCore

/// What `FrameDecoder.header(of:)` learns about a complete frame without taking it apart.
public struct FrameHeader: Equatable, Sendable {
    /// The frame's destination.
    public let destination: ChatName
    /// The frame's source.
    public let source: ChatName
    /// The frame's length on the wire, NUL included (17...256).
    public let length: Int

    /// The body's length (0...239).
    public var bodyLength: Int { self.length - Wire.headerLength - 1 }
}

extension FrameHeader {
    /// The header of a decoded frame.
    public init(of frame: Frame) {
        self.init(destination: frame.destination, source: frame.source, length: frame.wire.readableBytes)
    }
}

extension FrameHeader {
    /// The body of this frame, a slice of `bytes` in which the frame starts at `offset` (the
    /// reader index unless given); empty if the bytes are not there.
    @inlinable
    public func body(in bytes: ByteBuffer, at offset: Int? = nil) -> ByteBuffer {
        bytes.getSlice(at: (offset ?? bytes.readerIndex) + Wire.headerLength, length: self.bodyLength) ?? ByteBuffer()
    }

    /// Writes a frame's two name fields, `destination` then `source`, each padded to 8 bytes:
    /// the one place in the code that writes a frame header.
    @inlinable
    public static func write(to destination: ChatName, from source: ChatName, into buffer: inout ByteBuffer) {
        destination.write(to: &buffer)
        source.write(to: &buffer)
    }
}
