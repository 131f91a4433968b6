import ChatWire
import NIOCore

/// Server-to-client bodies encoded once, NUL included, and put behind each client's own header
/// (`DEST = id`, `SRC = -SERVER-`) when they are sent: a list pushed to 10,000 clients is
/// encoded once.
enum ServerBodies {
    /// One control body plus its NUL.
    static func encode(_ control: ServerControl, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        self.encode(text: control.body, allocator: allocator)
    }

    /// A body in words of its own (the padded interval that answers a bare `Connect`) plus its NUL.
    static func encode(text: String, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: text.utf8.count + 1)
        buffer.writeString(text)
        buffer.writeInteger(Wire.terminator)
        return buffer
    }

    /// The `List k/n` parts of `names`, sorted by byte order already, each plus its NUL.
    static func list(sorted names: [ChatName], allocator: ByteBufferAllocator = ByteBufferAllocator()) -> [ByteBuffer] {
        OnlineList.parts(ofSorted: names).map { part in
            var buffer = allocator.buffer(capacity: Wire.maxBodyLength + 1)
            part.writeBody(to: &buffer)
            buffer.writeInteger(Wire.terminator)
            return buffer
        }
    }

    /// The bodies of `Online` parts, each plus its NUL.
    static func bodies(_ parts: [VersionedListPart]) -> [ByteBuffer] {
        parts.map { versioned in
            var buffer = ByteBufferAllocator().buffer(capacity: Wire.maxBodyLength + 1)
            versioned.writeBody(to: &buffer)
            buffer.writeInteger(Wire.terminator)
            return buffer
        }
    }

    /// The bodies of `Changed` parts, each plus its NUL.
    static func bodies(_ parts: [ChangesPart]) -> [ByteBuffer] {
        parts.map { part in
            var buffer = ByteBufferAllocator().buffer(capacity: Wire.maxBodyLength + 1)
            part.writeBody(to: &buffer)
            buffer.writeInteger(Wire.terminator)
            return buffer
        }
    }

    /// `Offline <destination>` for each direct message among `frames` (complete frames that
    /// passed the rules on the way in), in order; messages to `ALL` need no answer.
    static func offlineAnswers(to frames: ByteBuffer) -> [ByteBuffer] {
        var bytes = frames
        var bodies: [ByteBuffer] = []
        while let header = try? FrameDecoder.header(of: bytes) {
            if header.destination != .all { bodies.append(Self.encode(.offline(header.destination))) }
            bytes.moveReaderIndex(forwardBy: header.length)
        }
        return bodies
    }

    /// The frames `bodies` (each ending in NUL) from `-SERVER-` to `name`, in one buffer.
    static func frames(
        to name: ChatName, _ bodies: some Collection<ByteBuffer>, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var frames = allocator.buffer(capacity: bodies.reduce(0) { $0 + Wire.headerLength + $1.readableBytes })
        for body in bodies {
            FrameHeader.write(to: name, from: .server, into: &frames)
            frames.writeImmutableBuffer(body)
        }
        return frames
    }
}
