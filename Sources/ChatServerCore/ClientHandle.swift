import ChatWire
import NIOCore

/// An online client as the registry holds it: its id and its connection. Kept small: there is
/// one per online client, and idle clients are most of the server's memory.
final class ClientHandle: Sendable {
    /// The client's id.
    let name: ChatName
    /// The client's connection. Writes must be made on `channel.eventLoop`.
    let channel: any Channel

    init(name: ChatName, channel: any Channel) {
        self.name = name
        self.channel = channel
    }

    /// Writes server frames (bodies already ending in NUL) as one buffer and flushes. On the
    /// channel's event loop only.
    func sendFromServer(_ bodies: [ByteBuffer]) {
        self.channel.eventLoop.preconditionInEventLoop()
        self.channel.writeAndFlush(
            ServerBodies.frames(to: self.name, bodies, allocator: self.channel.allocator), promise: nil)
    }
}
