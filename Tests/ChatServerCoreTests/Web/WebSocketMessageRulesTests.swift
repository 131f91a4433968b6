import ChatWire
import ChatWireTestSupport
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import ChatServerCore

/// The message rules of `WebSocketFrameAdapter` behind NIO's frame decoder, as on the web
/// listener, against seeded random conversations: whole frames cut into fragments at random,
/// masked or not, pings between the fragments, the bytes arriving in random chunks, and now and
/// then a message that breaks a rule (text, over 256 bytes, two frames, half a frame, a
/// continuation of nothing, a NUL in front). Every good
/// message before the first bad one is handed on whole and in order, each ping before it is
/// answered, and the bad one is refused once, with nothing handed on after it.
@Suite("Web: the message rules on random conversations")
struct WebSocketMessageRulesTests {
    /// One message the peer sends: its fragments' opcodes and payloads, and whether it is good.
    private struct Message {
        var fragments: [(opcode: WebSocketOpcode, payload: [UInt8])]
        /// The chat255 bytes the adapter must hand on; nil for a message it must refuse.
        var handedOn: [UInt8]?
    }

    /// Records what reaches the protocol handler's place: reads and close requests.
    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var reads: [[UInt8]] = []
        var closeRequests = 0
        var readsAfterClose = 0

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if self.closeRequests > 0 { self.readsAfterClose += 1 }
            self.reads.append(Array(self.unwrapInboundIn(data).readableBytesView))
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is CloseRequest { self.closeRequests += 1 }
        }
    }

    @Test("Seeded random conversations", arguments: 0..<200)
    func conversation(seed: UInt64) throws {
        var random = SplitMix64(seed: 0x6368_6174_3235_35 &+ seed)
        var messages: [Message] = []
        for _ in 0..<Int.random(in: 1...12, using: &random) {
            messages.append(Self.message(using: &random))
        }
        // The wire: each fragment a WebSocket frame, with pings in between.
        var wire: [UInt8] = []
        var pings: [[UInt8]] = []
        var pingsBeforeBad = 0
        var seenBad = false
        for message in messages {
            for (index, fragment) in message.fragments.enumerated() {
                if Int.random(in: 0..<5, using: &random) == 0 {
                    let payload = (0..<Int.random(in: 0...16, using: &random)).map { _ in
                        UInt8.random(in: 0...255, using: &random)
                    }
                    wire += Self.frame(fin: true, opcode: .ping, payload: payload, using: &random)
                    pings.append(payload)
                    if !seenBad { pingsBeforeBad += 1 }
                }
                let fin = index == message.fragments.count - 1
                wire += Self.frame(fin: fin, opcode: fragment.opcode, payload: fragment.payload, using: &random)
            }
            if message.handedOn == nil { seenBad = true }
        }

        let adapter = WebSocketFrameAdapter()
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: Wire.maxFrameLength)), adapter, recorder,
        ])
        adapter.upgraded(context: try channel.pipeline.syncOperations.context(handler: adapter))
        var rest = wire[...]
        while !rest.isEmpty {
            let chunk = rest.prefix(Int.random(in: 1...300, using: &random))
            rest = rest.dropFirst(chunk.count)
            do {
                try channel.writeInbound(ByteBuffer(bytes: chunk))
            } catch {
                break  // the decoder gave up on the stream after refusing a frame: so would the socket
            }
        }

        let good = messages.prefix { $0.handedOn != nil }.compactMap(\.handedOn)
        let expectBad = messages.contains { $0.handedOn == nil }
        #expect(recorder.reads == good, "seed \(seed)")
        #expect(recorder.closeRequests == (expectBad ? 1 : 0), "seed \(seed)")
        #expect(recorder.readsAfterClose == 0, "seed \(seed)")
        var pongs: [[UInt8]] = []
        while let frame = try channel.readOutbound(as: WebSocketFrame.self) {
            if frame.opcode == .pong { pongs.append(Array(frame.data.readableBytesView)) }
        }
        #expect(Array(pongs.prefix(pingsBeforeBad)) == Array(pings.prefix(pingsBeforeBad)), "seed \(seed)")
    }

    /// A random message: mostly a good frame in 1 to 4 fragments, sometimes a broken one.
    private static func message(using random: inout SplitMix64) -> Message {
        let frame = Self.chatFrame(using: &random)
        switch Int.random(in: 0..<20, using: &random) {
        case 0:
            return Message(fragments: Self.cut(frame, first: .text, using: &random), handedOn: nil)
        case 1:  // over 256 bytes in all
            let big =
                frame
                + (0..<(Wire.maxFrameLength + 1 - frame.count + Int.random(in: 0...60, using: &random))).map { _ in 0x41
                }
            return Message(fragments: Self.cut(big, first: .binary, using: &random), handedOn: nil)
        case 2:  // two frames in one message
            let two = wireFrame("bob", "alice", "one") + wireFrame("bob", "alice", "two")
            return Message(fragments: Self.cut(two, first: .binary, using: &random), handedOn: nil)
        case 3:  // half a frame
            let half = Array(frame.prefix(Int.random(in: 1..<frame.count, using: &random)))
            return Message(fragments: Self.cut(half, first: .binary, using: &random), handedOn: nil)
        case 5:  // NULs in front (padding between frames on TCP), then a frame or two
            let padded = [0] + (Bool.random(using: &random) ? frame : frame + wireFrame("bob", "alice", "two"))
            return Message(fragments: Self.cut(padded, first: .binary, using: &random), handedOn: nil)
        case 4:  // a continuation with no message to continue
            return Message(fragments: Self.cut(frame, first: .continuation, using: &random), handedOn: nil)
        default:
            return Message(fragments: Self.cut(frame, first: .binary, using: &random), handedOn: frame)
        }
    }

    /// A valid chat255 frame with random names and body.
    private static func chatFrame(using random: inout SplitMix64) -> [UInt8] {
        func pad(_ name: String) -> [UInt8] { Array(name.utf8) + Array(repeating: 0x20, count: 8 - name.utf8.count) }
        return pad(random.nameText()) + pad(random.nameText()) + random.body() + [0]
    }

    /// `bytes` cut into 1 to 4 fragments at random places: the first with `first`, then continuations.
    private static func cut(
        _ bytes: [UInt8], first: WebSocketOpcode, using random: inout SplitMix64
    ) -> [(opcode: WebSocketOpcode, payload: [UInt8])] {
        let cuts = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            Int.random(in: 0...bytes.count, using: &random)
        }
        let bounds = [0] + cuts.sorted() + [bytes.count]
        return (0..<bounds.count - 1).map { index in
            (index == 0 ? first : .continuation, Array(bytes[bounds[index]..<bounds[index + 1]]))
        }
    }

    /// One WebSocket frame on the wire (RFC 6455 section 5.2), masked half of the time.
    private static func frame(
        fin: Bool, opcode: WebSocketOpcode, payload: [UInt8], using random: inout SplitMix64
    ) -> [UInt8] {
        let masked = Bool.random(using: &random)
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | UInt8(webSocketOpcode: opcode)]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            bytes.append(maskBit | UInt8(payload.count))
        } else {
            bytes += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        guard masked else { return bytes + payload }
        let key = (0..<4).map { _ in UInt8.random(in: 0...255, using: &random) }
        return bytes + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }
}
