import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import NIOEmbedded
import Testing

@testable import ChatClientCore

/// The client's connection handler on an `EmbeddedChannel`: the heartbeat's cadence with time
/// moved by hand.
@Suite("Client: session handler")
struct ClientSessionHandlerTests {
    @Test("Connect first; after Connected 0.2, one Alive every 0.2 s, not before; none after the close")
    func heartbeat() throws {
        let loop = EmbeddedEventLoop()
        let (events, continuation) = AsyncStream.makeStream(of: ChatEvent.self)
        let connected = loop.makePromise(of: Duration.self)
        let handler = ClientSessionHandler(
            id: try ChatName(validating: "alice"), connected: connected, events: continuation)
        let channel = EmbeddedChannel(handler: handler, loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7255)).wait()
        func sent() throws -> [[UInt8]] {
            var frames: [[UInt8]] = []
            while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
                frames.append(Array(bytes.readableBytesView))
            }
            return frames
        }
        #expect(try sent() == [wireFrame("-SERVER-", "alice", "Connect alice")])
        try channel.writeInbound(ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Connected 0.2")))
        #expect(try connected.futureResult.wait() == .milliseconds(200))
        loop.advanceTime(by: .milliseconds(199))
        #expect(try sent().isEmpty)
        loop.advanceTime(by: .milliseconds(1))
        #expect(try sent() == [wireFrame("-SERVER-", "alice", "Alive alice")])
        loop.advanceTime(by: .seconds(2))
        #expect(try sent() == Array(repeating: wireFrame("-SERVER-", "alice", "Alive alice"), count: 10))
        try channel.close().wait()
        loop.advanceTime(by: .seconds(2))
        #expect(try sent().isEmpty)
        _ = events
    }
}
