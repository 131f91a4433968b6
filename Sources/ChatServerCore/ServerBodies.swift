import ChatWire
import NIOCore

/// Server-to-client bodies encoded once, NUL included, ready to follow a client's
/// `ClientHandle.serverHeader` on the wire.
enum ServerBodies {
    /// One control body plus its NUL.
    static func encode(_ control: ServerControl, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        let text = control.body
        var buffer = allocator.buffer(capacity: text.utf8.count + 1)
        buffer.writeString(text)
        buffer.writeInteger(Wire.terminator)
        return buffer
    }

    /// The `List k/n` parts of `names`, each plus its NUL.
    static func list(_ names: [ChatName], allocator: ByteBufferAllocator = ByteBufferAllocator()) -> [ByteBuffer] {
        OnlineList.parts(of: names).map { part in
            var buffer = allocator.buffer(capacity: Wire.maxBodyLength + 1)
            part.writeBody(to: &buffer)
            buffer.writeInteger(Wire.terminator)
            return buffer
        }
    }
}
