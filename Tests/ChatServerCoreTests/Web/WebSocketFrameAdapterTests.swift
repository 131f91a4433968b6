import ChatWire
import ChatWireTestSupport
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import ChatServerCore

/// The adapter alone on an `EmbeddedChannel`: what it hands on and writes, before and after the
/// upgrade.
@Suite("Web: the frame adapter")
struct WebSocketFrameAdapterTests {
    /// A channel with the adapter, upgraded unless told otherwise.
    private static func channel(upgraded: Bool = true) throws -> (EmbeddedChannel, WebSocketFrameAdapter) {
        let adapter = WebSocketFrameAdapter()
        let channel = EmbeddedChannel(handler: adapter)
        if upgraded {
            adapter.upgraded(context: try channel.pipeline.syncOperations.context(handler: adapter))
        }
        return (channel, adapter)
    }

    @Test("A run of frames written at once goes out as one binary message per frame")
    func splitsRuns() throws {
        let (channel, _) = try Self.channel()
        let frames = [
            wireFrame("bob", "alice", "one"), wireFrame("bob", "alice", "two"), wireFrame("ALL", "carol", "3"),
        ]
        try channel.writeOutbound(ByteBuffer(bytes: frames.flatMap { $0 }))
        for frame in frames {
            let message = try #require(try channel.readOutbound(as: WebSocketFrame.self))
            #expect(message.opcode == .binary && message.fin)
            #expect(Array(message.data.readableBytesView) == frame)
        }
        #expect(try channel.readOutbound(as: WebSocketFrame.self) == nil)
    }

    @Test("Before the upgrade nothing written reaches the peer, and the write still completes")
    func dropsBeforeUpgrade() throws {
        let (channel, _) = try Self.channel(upgraded: false)
        let written = channel.writeAndFlush(ByteBuffer(bytes: wireFrame("-SERVER-", "-SERVER-", "Error x")))
        channel.embeddedEventLoop.run()
        #expect(throws: Never.self) { try written.wait() }
        #expect(try channel.readOutbound(as: WebSocketFrame.self) == nil)
    }

    @Test("A whole frame in one message is handed on as chat255 bytes; a close is sent before the channel closes")
    func inAndClose() throws {
        let (channel, _) = try Self.channel()
        let frame = wireFrame("bob", "alice", "hi")
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: frame)))
        let bytes = try #require(try channel.readInbound(as: ByteBuffer.self))
        #expect(Array(bytes.readableBytesView) == frame)
        try channel.close().wait()
        let close = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        #expect(close.opcode == .connectionClose)
    }
}
