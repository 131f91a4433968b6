import NIOCore

/// Sends one connection its online lists, a few parts at a time, latest list first come.
///
/// A list of 10,000 ids is some 400 parts; pushing every list to every client in full, however
/// fast lists change, would queue gigabytes for clients that read slower than lists change.
/// So each connection has at most one chunk of parts in flight; the next chunk goes when the
/// previous one reached the socket. A list offered while another is being written waits, and a
/// newer one replaces it (conflation): a client always ends with the latest list, the parts of
/// one list are never interleaved with another's, and memory stays one chunk per client.
struct ListWriter {
    /// Parts written per chunk.
    static let chunkParts = 16

    /// The latest list offered and not yet begun.
    private var waiting: [ByteBuffer]?
    /// The list being written and the index of its next part.
    private var current: [ByteBuffer] = []
    private var next = 0
    /// Whether a chunk is on its way to the socket.
    private(set) var isWriting = false

    /// Offers a list (its part bodies); returns the chunk to write now if nothing is in flight.
    mutating func offer(_ parts: [ByteBuffer]) -> ArraySlice<ByteBuffer>? {
        self.waiting = parts
        return self.isWriting ? nil : self.take()
    }

    /// The chunk in flight reached the socket; returns the next chunk to write, if any.
    mutating func written() -> ArraySlice<ByteBuffer>? {
        self.isWriting = false
        return self.take()
    }

    private mutating func take() -> ArraySlice<ByteBuffer>? {
        if self.next >= self.current.count {
            guard let waiting = self.waiting else { return nil }
            self.current = waiting
            self.waiting = nil
            self.next = 0
        }
        let end = min(self.next + Self.chunkParts, self.current.count)
        defer { self.next = end }
        self.isWriting = true
        return self.current[self.next..<end]
    }
}
