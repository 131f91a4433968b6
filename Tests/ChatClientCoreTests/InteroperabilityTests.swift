import ChatClientCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import Testing

/// Other readings of the assignment, over real sockets (docs/PROTOCOL.md, "Compatibility"):
/// scripted peers that word their frames differently take a full part in a chat with our
/// client through our server, and our client talks with a scripted server that answers in
/// other words.
@Suite("Interoperability with other implementations")
struct InteroperabilityTests {
    /// How a scripted peer writes its frames.
    enum PeerStyle: String, CaseIterable, CustomTestStringConvertible {
        /// `Connect`, `Alive` and `Quit` with no id (it is in SRC only).
        case argumentless
        /// Every frame padded with NULs to a 256-byte record, the ids given.
        case records

        var testDescription: String { self.rawValue }

        /// The body of a control word for `id`.
        func control(_ word: String, _ id: String) -> String {
            self == .argumentless ? word : "\(word) \(id)"
        }

        /// One frame's bytes in this style.
        func frame(_ destination: String, _ source: String, _ body: String) -> [UInt8] {
            let frame = wireFrame(destination, source, body)
            guard self == .records else { return frame }
            return frame + Array(repeating: 0, count: Wire.maxFrameLength - frame.count)
        }
    }

    private func name(_ text: String) throws -> ChatName { try ChatName(validating: text) }

    /// The next event that is not a list.
    private func nextMessage(_ events: EventCollector) async throws -> ChatEvent {
        while true {
            let event = try await events.next()
            if case .list = event { continue }
            return event
        }
    }

    /// Waits for a list equal to `names`.
    private func awaitList(_ names: [String], _ events: EventCollector) async throws {
        while true {
            if case .list(let update) = try await events.next(), update.names.map(\.text) == names { return }
        }
    }

    @Test(
        "a peer of each style joins, chats both ways, broadcasts, heartbeats, lists and quits",
        arguments: PeerStyle.allCases)
    func peerTakesFullPart(style: PeerStyle) async throws {
        try await withServer { server in
            let alice = try await ChatSession.connect(
                id: name("alice"), host: "127.0.0.1", port: server.port, timeout: Patience.guardTime)
            let events = EventCollector(alice)
            let ann = try await TestClient.connect(port: server.port)
            try await ann.sendRaw(style.frame("-SERVER-", "ann", style.control("Connect", "ann")))
            // A bare Connect is answered in kind: the interval alone.
            let welcome = try await ann.next()
            #expect(welcome.text == (style == .argumentless ? "5       " : "Connected 5"))
            try await ann.awaitList(["alice", "ann"])
            try await awaitList(["alice", "ann"], events)

            // To alice; a record split across two writes arrives whole.
            let hello = style.frame("alice", "ann", "hi alice")
            try await ann.sendRaw(Array(hello.prefix(20)))
            try await ann.sendRaw(Array(hello.dropFirst(20)))
            #expect(try await nextMessage(events) == .message(from: name("ann"), text: "hi alice", broadcast: false))
            try await alice.send("hi ann", to: name("ann"))
            let answer = try await ann.nextSkippingLists()
            #expect(answer.source.text == "alice" && answer.text == "hi ann")

            // A broadcast, a heartbeat and a List in one write: no Error in between, the list answered.
            try await ann.sendRaw(
                style.frame("ALL", "ann", "hello all") + style.frame("-SERVER-", "ann", style.control("Alive", "ann"))
                    + style.frame("-SERVER-", "ann", "List"))
            #expect(try await nextMessage(events) == .message(from: name("ann"), text: "hello all", broadcast: true))
            #expect(try await ann.nextList() == ["alice", "ann"])

            try await ann.sendRaw(style.frame("-SERVER-", "ann", style.control("Quit", "ann")))
            try await ann.awaitClosed()
            try await awaitList(["alice"], events)
            await alice.quit()
        }
    }

    @Test("our client and a server that answers a bare interval in NUL-padded records and lists in free text")
    func scriptedServer() async throws {
        let record: ([UInt8]) -> [UInt8] = { $0 + Array(repeating: 0, count: Wire.maxFrameLength - $0.count) }
        let server = FakeServer(answer: .raw(record(wireFrame("alice", "-SERVER-", "0.2     "))))
        let port = try await server.start()
        let alice = try await ChatSession.connect(
            id: name("alice"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
        #expect(alice.announcedInterval == .milliseconds(200))
        #expect(alice.heartbeatInterval == .milliseconds(200))
        let events = EventCollector(alice)
        try await server.send(
            record(wireFrame("alice", "-SERVER-", "List of connected clients: alice, bob"))
                + record(wireFrame("alice", "-SERVER-", "Offline: carol is not online")))
        #expect(try await events.next() == .serverText("List of connected clients: alice, bob"))
        #expect(try await events.next() == .serverText("Offline: carol is not online"))
        // Heartbeats keep coming, each exactly as docs/PROTOCOL.md says (their cadence, to the
        // millisecond: ClientSessionHandlerTests).
        let frames = try await server.awaitFrames(4)
        #expect(frames.map(\.frame.text).prefix(2) == ["Connect alice", "List changes"])
        #expect(frames.dropFirst(2).allSatisfy { $0.frame.text == "Alive alice" && $0.frame.destination == .server })
        await alice.close()
        await server.stop()
    }

    @Test("chatclient and a server that announces no interval and talks in its own words: the notices, shown")
    func programWithoutInterval() async throws {
        let server = FakeServer(answer: .raw(wireFrame("alice", "-SERVER-", "Connected")))
        let port = try await server.start()
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        try await alice.waitFor(
            "the server announced no heartbeat interval: sending Alive every 5s (the default)")
        try await server.send(wireFrame("alice", "-SERVER-", "Online clients: alice, bob\u{1B}[31m"))
        try await alice.waitFor("* server: Online clients: alice, bob?[31m")
        alice.type("@Quit")
        #expect(try await alice.waitForExit() == 0)
        await server.stop()
    }

    @Test(
        "a server that knows only the assignment's words and closes on List changes: chatclient connects again, once, without it, and chats"
    )
    func assignmentOnlyServer() async throws {
        let server = SeedServer()
        let port = try await server.start()
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        try await alice.waitFor("asked for change events ('List changes'); connecting again without them")
        try await alice.waitFor("reconnected to 127.0.0.1:\(port) as alice")
        alice.type("(bob) hello bob")
        try await waitUntil("the message at the server") { !server.chats.isEmpty }
        #expect(server.chats.map(\.text) == ["hello bob"])
        alice.type("@Quit")
        #expect(try await alice.waitForExit() == 0)
        let controls = server.controls
        #expect(controls.count == 2, "one reconnection, not more")
        #expect(controls.first == ["Connect alice", "List changes"])
        #expect(controls.last?.contains("List changes") == false)
        #expect(controls.last?.first == "Connect alice")
        await server.stop()
    }

    @Test("chatclient --no-change-events sends only the assignment's frames")
    func noChangeEvents() async throws {
        let server = FakeServer(answer: .connected(.milliseconds(100)))
        let port = try await server.start()
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)", "--no-change-events"])
        defer { alice.stop() }
        let frames = try await server.awaitFrames(3, from: alice)
        #expect(frames.map(\.frame.text).prefix(3) == ["Connect alice", "Alive alice", "Alive alice"])
        alice.type("@Quit")
        #expect(try await alice.waitForExit() == 0)
        #expect(!server.frames.withLockedValue { $0 }.contains { $0.frame.text == "List changes" })
        await server.stop()
    }

    @Test("List changes waits for the answer to Connect: a server that never answers sees Connect alone")
    func changesAfterConnected() async throws {
        let server = FakeServer(answer: .silence)
        let port = try await server.start()
        await #expect(throws: ClientError.noAnswer) {
            _ = try await ChatSession.connect(
                id: try name("alice"), host: "127.0.0.1", port: port, timeout: .milliseconds(300))
        }
        #expect(try await server.awaitFrames(1).map(\.frame.text) == ["Connect alice"])
        #expect(server.frames.withLockedValue { $0.count } == 1)
        await server.stop()
    }

    @Test("a server that swaps DEST and SRC when it forwards: the sender is shown, not our own id")
    func swappedFrames() async throws {
        let server = FakeServer(answer: .connected(.seconds(5)))
        let port = try await server.start()
        let bob = try await ChatSession.connect(
            id: try name("bob"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
        let events = EventCollector(bob)
        try await server.send(wireFrame("alice", "bob", "hello from alice") + wireFrame("bob", "carol", "as sent"))
        #expect(
            try await nextMessage(events)
                == .message(from: try name("alice"), text: "hello from alice", broadcast: false))
        #expect(try await nextMessage(events) == .message(from: try name("carol"), text: "as sent", broadcast: false))
        await bob.close()
        await server.stop()
    }
}
