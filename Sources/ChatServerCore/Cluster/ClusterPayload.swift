import NIOCore

/// What one node publishes to another's inbox: the sending node's id (a length byte, then the
/// id), then complete frames, as many as one burst produced (frames delimit themselves).
enum ClusterPayload {
    /// A buffer that starts with `origin`, ready for frames.
    static func start(origin: String, capacity: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 1 + origin.utf8.count + capacity)
        buffer.writeInteger(UInt8(truncatingIfNeeded: origin.utf8.count))
        buffer.writeString(origin)
        return buffer
    }

    /// The sender's id and the frames; `nil` when the bytes are too short for the id.
    static func read(_ payload: ByteBuffer) -> (origin: String, frames: ByteBuffer)? {
        var bytes = payload
        guard let length = bytes.readInteger(as: UInt8.self), length > 0,
            let origin = bytes.readString(length: Int(length))
        else { return nil }
        return (origin, bytes)
    }
}
