public import NIOCore

/// One validated frame: `DEST (8) | SRC (8) | BODY (0...239) | NUL`.
///
/// A frame keeps its exact wire bytes (`wire`, NUL included) next to the decoded names, so that
/// the server forwards a chat message by writing `wire` as it came: no re-encoding, no copy.
public struct Frame: Sendable, Equatable {
    /// The frame's destination: a client id, `ALL` or `-SERVER-`.
    public let destination: ChatName
    /// The frame's source: the sending client's id, or `-SERVER-`.
    public let source: ChatName
    /// The complete wire bytes of the frame, terminating NUL included.
    public let wire: ByteBuffer

    /// The body: the bytes between the names and the NUL.
    public var body: ByteBuffer {
        self.wire.getSlice(at: self.wire.readerIndex + Wire.headerLength, length: self.bodyLength)
            ?? ByteBuffer()
    }

    /// The body's length in bytes (0...239).
    public var bodyLength: Int { self.wire.readableBytes - Wire.headerLength - 1 }

    /// The body decoded as UTF-8 (invalid sequences become U+FFFD).
    public var text: String { String(buffer: self.body) }

    /// Wraps bytes the decoder has already validated.
    init(destination: ChatName, source: ChatName, validatedWire: ByteBuffer) {
        self.destination = destination
        self.source = source
        self.wire = validatedWire
    }

    /// Encodes a frame: pads both names and appends the NUL.
    ///
    /// - Throws: `FrameEncodingError` when the body is longer than 239 bytes or holds a NUL.
    public init(
        destination: ChatName,
        source: ChatName,
        body: some Collection<UInt8>,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(FrameEncodingError) {
        guard body.count <= Wire.maxBodyLength else { throw .bodyTooLong(body.count) }
        guard !body.contains(Wire.terminator) else { throw .nulInBody }
        var wire = allocator.buffer(capacity: Wire.headerLength + body.count + 1)
        FrameHeader.write(to: destination, from: source, into: &wire)
        wire.writeBytes(body)
        wire.writeInteger(Wire.terminator)
        self.init(destination: destination, source: source, validatedWire: wire)
    }

    /// Encodes a frame whose body is `text` in UTF-8.
    public init(destination: ChatName, source: ChatName, text: String) throws(FrameEncodingError) {
        try self.init(destination: destination, source: source, body: Array(text.utf8))
    }

    /// Two frames are equal when their wire bytes are.
    public static func == (lhs: Frame, rhs: Frame) -> Bool { lhs.wire == rhs.wire }
}

/// Why a frame cannot be encoded.
public enum FrameEncodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The body has more than 239 bytes (the count).
    case bodyTooLong(Int)
    /// The body holds a NUL byte, which would end the frame early.
    case nulInBody

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .bodyTooLong(let count): "a body has at most 239 bytes, this one has \(count)"
        case .nulInBody: "a body cannot contain a NUL byte"
        }
    }
}
