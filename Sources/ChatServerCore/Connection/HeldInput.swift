import NIOCore

/// Bytes a connection received while presence was deciding on its Connect, kept in order until
/// the answer. A class, so that a connection that never waits pays one word for it.
final class HeldInput {
    var bytes: ByteBuffer

    init(_ bytes: ByteBuffer) {
        self.bytes = bytes
    }
}
