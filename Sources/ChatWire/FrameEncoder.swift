public import NIOCore

/// Writes frames to the stream. A `Frame` can only exist with valid names and body (its
/// initialisers check them), so encoding is a copy of its wire bytes.
public struct FrameEncoder: MessageToByteEncoder {
    /// Frames to encode.
    public typealias OutboundIn = Frame

    /// An encoder with no state.
    public init() {}

    /// Appends the frame's wire bytes to `out`.
    public func encode(data: Frame, out: inout ByteBuffer) {
        var wire = data.wire
        out.writeBuffer(&wire)
    }
}
