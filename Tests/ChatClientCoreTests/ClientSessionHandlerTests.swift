import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import NIOEmbedded
import Testing

@testable import ChatClientCore

/// The client's connection handler on an `EmbeddedChannel`: the heartbeat's cadence with time
/// moved by hand, the answers other servers give to Connect, and why a session ended.
@Suite("Client: session handler")
struct ClientSessionHandlerTests {
    /// A handler for alice on an embedded channel, connected (so `Connect alice` was sent).
    private struct Harness {
        let loop = EmbeddedEventLoop()
        let channel: EmbeddedChannel
        let connected: EventLoopPromise<(announced: Duration?, heartbeat: Duration)>
        let events: AsyncStream<ChatEvent>

        init() throws {
            let (events, continuation) = AsyncStream.makeStream(of: ChatEvent.self)
            self.events = events
            self.connected = self.loop.makePromise()
            let handler = ClientSessionHandler(
                id: try ChatName(validating: "alice"), connected: self.connected, events: continuation)
            self.channel = EmbeddedChannel(handler: handler, loop: self.loop)
            try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7255)).wait()
        }

        /// The frames the client wrote since the last look.
        func sent() throws -> [[UInt8]] {
            var frames: [[UInt8]] = []
            while let bytes = try self.channel.readOutbound(as: ByteBuffer.self) {
                frames.append(Array(bytes.readableBytesView))
            }
            return frames
        }

        /// How Connect ended: its answer, or the error it failed with.
        func answer() -> Result<(announced: Duration?, heartbeat: Duration), any Error> {
            var result: Result<(announced: Duration?, heartbeat: Duration), any Error>?
            self.connected.futureResult.assumeIsolated().whenComplete { result = $0 }
            return result ?? .failure(TestFailure("Connect is still waiting"))
        }

        /// The events yielded so far (the stream ends once the channel closed).
        func collectedEvents() async -> [ChatEvent] {
            var all: [ChatEvent] = []
            for await event in self.events { all.append(event) }
            return all
        }
    }

    private let alive = wireFrame("-SERVER-", "alice", "Alive alice")
    private let askChanges = wireFrame("-SERVER-", "alice", "List changes")

    @Test("Connect first; after Connected 0.2, one Alive every 0.2 s, not before; none after the close")
    func heartbeat() throws {
        let client = try Harness()
        #expect(try client.sent() == [wireFrame("-SERVER-", "alice", "Connect alice")], "Connect alone")
        try client.channel.writeInbound(ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Connected 0.2")))
        let answer = try client.answer().get()
        #expect(answer.announced == .milliseconds(200) && answer.heartbeat == .milliseconds(200))
        #expect(
            try client.sent() == [askChanges], "change events asked for once Connect is answered, in a write of its own"
        )
        client.loop.advanceTime(by: .milliseconds(199))
        #expect(try client.sent().isEmpty)
        client.loop.advanceTime(by: .milliseconds(1))
        #expect(try client.sent() == [alive])
        client.loop.advanceTime(by: .seconds(2))
        #expect(try client.sent() == Array(repeating: alive, count: 10))
        try client.channel.close().wait()
        client.loop.advanceTime(by: .seconds(2))
        #expect(try client.sent().isEmpty)
    }

    @Test("a bare, space-padded interval in a NUL-padded 256-byte record: Alive at that interval")
    func bareIntervalInARecord() throws {
        let client = try Harness()
        _ = try client.sent()
        var record = wireFrame("alice", "-SERVER-", "0.3     ")
        record += Array(repeating: 0, count: 256 - record.count)
        try client.channel.writeInbound(ByteBuffer(bytes: record))
        let answer = try client.answer().get()
        #expect(answer.announced == .milliseconds(300) && answer.heartbeat == .milliseconds(300))
        #expect(try client.sent() == [askChanges])
        client.loop.advanceTime(by: .milliseconds(299))
        #expect(try client.sent().isEmpty)
        client.loop.advanceTime(by: .milliseconds(1))
        #expect(try client.sent() == [alive])
        try client.channel.close().wait()
    }

    @Test("Connected with no interval: the default heartbeat (5 s), nothing sooner")
    func defaultHeartbeat() throws {
        let client = try Harness()
        _ = try client.sent()
        try client.channel.writeInbound(ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Connected")))
        let answer = try client.answer().get()
        #expect(answer.announced == nil && answer.heartbeat == ClientProtocol.defaultInterval)
        #expect(ClientProtocol.defaultInterval == .seconds(5))
        #expect(try client.sent() == [askChanges])
        client.loop.advanceTime(by: .milliseconds(4999))
        #expect(try client.sent().isEmpty)
        client.loop.advanceTime(by: .milliseconds(1))
        #expect(try client.sent() == [alive])
        try client.channel.close().wait()
    }

    @Test("a greeting instead of Connected: admitted, and the greeting is the first event, verbatim")
    func greeting() async throws {
        let client = try Harness()
        try client.channel.writeInbound(ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Welcome, alice!\u{1B}[2J")))
        #expect(try client.answer().get().announced == nil)
        try client.channel.writeInbound(ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Online clients: alice")))
        try await client.channel.close().get()
        #expect(
            await client.collectedEvents() == [
                .serverText("Welcome, alice!\u{1B}[2J"), .serverText("Online clients: alice"),
                .disconnected(.closedByServer),
            ])
    }

    @Test("a banner, then Connected 0.2: admitted at once on the default; then Alive every 0.2 s")
    func intervalAfterBanner() async throws {
        let client = try Harness()
        _ = try client.sent()
        try client.channel.writeInbound(ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Welcome to the chat")))
        #expect(try client.answer().get().announced == nil)
        #expect(try client.sent() == [askChanges])
        client.loop.advanceTime(by: .seconds(1))
        try client.channel.writeInbound(ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Connected 0.2")))
        client.loop.advanceTime(by: .milliseconds(199))
        #expect(try client.sent().isEmpty)
        client.loop.advanceTime(by: .milliseconds(1))
        #expect(try client.sent() == [alive])
        client.loop.advanceTime(by: .seconds(4))
        #expect(try client.sent() == Array(repeating: alive, count: 20), "the 5 s default is gone")
        try await client.channel.close().get()
        #expect(
            await client.collectedEvents() == [
                .serverText("Welcome to the chat"), .intervalAnnounced(.milliseconds(200)),
                .disconnected(.closedByServer),
            ])
    }

    @Test("the connection ends before an answer: Connect fails with the first real reason")
    func endedBeforeAnswer() throws {
        let garbage = try Harness()
        _ = try? garbage.channel.writeInbound(ByteBuffer(bytes: Array(repeating: 0x41, count: 300)))
        guard case .failure(let error) = garbage.answer(),
            case .endedBeforeAnswer(.malformed(let why)) = error as? ClientError
        else {
            Issue.record("expected the malformed reply to be the reason, got \(garbage.answer())")
            return
        }
        #expect(why.contains("no NUL within 256 bytes"))

        let closing = try Harness()
        closing.channel.pipeline.fireChannelInactive()
        guard case .failure(let error) = closing.answer() else {
            Issue.record("Connect did not fail")
            return
        }
        #expect(error as? ClientError == .endedBeforeAnswer(.closedByServer))
        #expect("\(error)" == "no answer to Connect: the server closed the connection")
    }

    @Test(
        "List changes: a close before its answer is the server refusing it; after the Online list, or 2 s and another frame, a close is a close"
    )
    func changesWindow() async throws {
        let connected = ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Connected 5"))
        let refusing = try Harness()
        try refusing.channel.writeInbound(connected)
        try refusing.channel.writeInbound(
            ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Error unknown command 'List changes'")))
        refusing.loop.advanceTime(by: .milliseconds(1999))
        try await refusing.channel.close().get()
        #expect(
            await refusing.collectedEvents() == [.disconnected(.closedAfterChangeRequest)], "the Error is not shown")

        let ignoring = try Harness()
        try ignoring.channel.writeInbound(connected)
        ignoring.loop.advanceTime(by: .seconds(2))
        try ignoring.channel.writeInbound(ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "List 1/1 alice bob")))
        try await ignoring.channel.close().get()
        #expect(
            await ignoring.collectedEvents().last == .disconnected(.closedByServer),
            "2 s without an answer, then a frame: the server went on without the word")

        let stalled = try Harness()
        try stalled.channel.writeInbound(connected)
        stalled.loop.advanceTime(by: .seconds(5))
        try await stalled.channel.close().get()
        #expect(
            await stalled.collectedEvents() == [.disconnected(.closedAfterChangeRequest)],
            "no frame at all between the request and the close, however late")

        let answering = try Harness()
        try answering.channel.writeInbound(connected)
        try answering.channel.writeInbound(ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Online 7 1/1 alice")))
        try await answering.channel.close().get()
        let events = await answering.collectedEvents()
        #expect(events.last == .disconnected(.closedByServer))
        #expect(events.count == 2, "the list, then the end: \(events)")
    }
}
