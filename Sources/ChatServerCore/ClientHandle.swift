import ChatWire
import NIOCore

/// An online client as the registry holds it: its id, its channel, and the 16-byte header
/// (`DEST = id`, `SRC = -SERVER-`) that starts every frame the server sends it.
///
/// The header is built once at Connect and written in front of shared bodies, so a list push
/// to 10,000 clients encodes the list once and allocates nothing per client.
final class ClientHandle: Sendable {
    /// The client's id.
    let name: ChatName
    /// The client's connection. Writes must be made on `channel.eventLoop`.
    let channel: any Channel
    /// `name` padded, then `-SERVER-` padded.
    let serverHeader: ByteBuffer

    init(name: ChatName, channel: any Channel) {
        self.name = name
        self.channel = channel
        var header = channel.allocator.buffer(capacity: Wire.headerLength)
        name.write(to: &header)
        ChatName.server.write(to: &header)
        self.serverHeader = header
    }

    /// Writes server frames (each body already ends in NUL) and flushes. On the channel's event loop only.
    func sendFromServer(_ bodies: [ByteBuffer]) {
        self.channel.eventLoop.preconditionInEventLoop()
        for body in bodies {
            self.channel.write(self.serverHeader, promise: nil)
            self.channel.write(body, promise: nil)
        }
        self.channel.flush()
    }
}
