import ChatClientCore
import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// The client library against a real server, and against a scripted one for exact bytes and timing.
@Suite("Client: the assignment's requirements")
struct ChatSessionTests {
    /// A server on an ephemeral port for `body`, given its port.
    private func withServer(aliveInterval: Duration = .seconds(5), _ body: (Int) async throws -> Void) async throws {
        try await ChatTestSupport.withServer(aliveInterval: aliveInterval) { server in try await body(server.port) }
    }

    private func name(_ text: String) throws -> ChatName { try ChatName(validating: text) }

    /// The next event that is not a list (or any next event, without `skippingLists`), within 5 s.
    private func nextEvent(_ events: EventCollector, skippingLists: Bool = true) async throws -> ChatEvent {
        while true {
            let event = try await events.next()
            if skippingLists, case .list = event { continue }
            return event
        }
    }

    @Test("exchanging messages with another client via the server, both ways, long ones in parts")
    func exchangingMessages() async throws {
        try await withServer { port in
            let alice = try await ChatSession.connect(
                id: name("alice"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
            let bob = try await ChatSession.connect(
                id: name("bob"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
            let aliceEvents = EventCollector(alice)
            let bobEvents = EventCollector(bob)
            try await alice.send("hello bob", to: name("bob"))
            #expect(
                try await nextEvent(bobEvents) == .message(from: name("alice"), text: "hello bob", broadcast: false))
            try await bob.send("hi alice", to: name("alice"))
            #expect(try await nextEvent(aliceEvents) == .message(from: name("bob"), text: "hi alice", broadcast: false))
            let long = String(repeating: "ü", count: 300)  // 600 bytes: three frames
            try await alice.send(long, to: name("bob"))
            var pieces: [String] = []
            for _ in 0..<3 {
                guard case .message(_, let text, _) = try await nextEvent(bobEvents) else {
                    throw TestFailure("no message")
                }
                pieces.append(text)
            }
            #expect(pieces.joined() == long)
            try await alice.send("to all", to: .all)
            #expect(try await nextEvent(bobEvents) == .message(from: name("alice"), text: "to all", broadcast: true))
            try await alice.send("anyone?", to: name("ghost"))
            #expect(try await nextEvent(aliceEvents) == .offline(name("ghost")))
            await alice.quit()
            await bob.quit()
        }
    }

    @Test("receiving the client list: 60 clients' list reassembled from its parts, with joins and leaves")
    func receivingTheList() async throws {
        try await withServer { port in
            let watcher = try await ChatSession.connect(
                id: name("watcher"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
            let events = EventCollector(watcher)
            var others: [ChatSession] = []
            for index in 0..<60 {
                others.append(
                    try await ChatSession.connect(
                        id: name("member\(index + 10)"), host: "127.0.0.1", port: port, timeout: Patience.guardTime))
            }
            let everyone = (others.map(\.id) + [watcher.id]).sorted()
            var latest: ListUpdate?
            while latest?.names != everyone {
                guard case .list(let update) = try await nextEvent(events, skippingLists: false) else { continue }
                latest = update
            }
            try await watcher.requestList()
            guard case .list(let requested) = try await nextEvent(events, skippingLists: false) else {
                throw TestFailure("no list")
            }
            #expect(requested.names == everyone)
            #expect(requested.joined.isEmpty && requested.left.isEmpty)
            await others[0].quit()
            guard case .list(let afterQuit) = try await nextEvent(events, skippingLists: false) else {
                throw TestFailure("no list")
            }
            #expect(afterQuit.left == [others[0].id])
            for session in others.dropFirst() { await session.close() }
            await watcher.close()
        }
    }

    @Test("sending Connect, messages, List and Quit to the server in the frame format")
    func sendingFrames() async throws {
        let server = FakeServer(answer: .connected(.seconds(60)))
        let port = try await server.start()
        let alice = try await ChatSession.connect(
            id: name("alice"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
        try await alice.send("hi bob", to: name("bob"))
        try await alice.send(String(repeating: "x", count: 300), to: name("bob"))
        try await alice.requestList()
        await alice.quit(timeout: .milliseconds(200))
        let frames = try await server.awaitFrames(7).map { Array($0.frame.wire.readableBytesView) }
        func raw(_ destination: String, _ body: String) -> [UInt8] {
            Array((destination.padding(8) + "alice   " + body).utf8) + [0]
        }
        #expect(frames[0] == raw("-SERVER-", "Connect alice"))
        #expect(frames[1] == raw("-SERVER-", "List changes"), "change events asked for once connected")
        #expect(frames[2] == raw("bob", "hi bob"))
        #expect(frames[3] == raw("bob", String(repeating: "x", count: 239)))
        #expect(frames[4] == raw("bob", String(repeating: "x", count: 61)))
        #expect(frames[5] == raw("-SERVER-", "List"))
        #expect(frames[6] == raw("-SERVER-", "Quit alice"))
        await server.stop()
    }

    @Test("sending Alive at the interval the server announced (its cadence: ClientSessionHandlerTests)")
    func sendingAlive() async throws {
        let server = FakeServer(answer: .connected(.milliseconds(200)))
        let port = try await server.start()
        let alice = try await ChatSession.connect(
            id: name("alice"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
        #expect(alice.heartbeatInterval == .milliseconds(200))
        // Over the socket: heartbeats keep coming, each `Alive alice` to -SERVER-. How often,
        // to the millisecond, is tested with time moved by hand.
        let frames = try await server.awaitFrames(5)
        let alives = frames.dropFirst(2)  // Connect, List changes
        #expect(alives.allSatisfy { $0.frame.text == "Alive alice" && $0.frame.destination == .server })
        await alice.close()
        await server.stop()
    }

    @Test("a refused Connect, no answer, garbage, and no server are clear errors")
    func connectFailures() async throws {
        let refusing = FakeServer(
            answer: .raw(Array("alice   -SERVER-Error the id 'alice' is already online".utf8) + [0]))
        var port = try await refusing.start()
        await #expect(throws: ClientError.refused("the id 'alice' is already online")) {
            _ = try await ChatSession.connect(
                id: name("alice"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
        }
        await refusing.stop()

        let silent = FakeServer(answer: .silence)
        port = try await silent.start()
        await #expect(throws: ClientError.noAnswer) {
            _ = try await ChatSession.connect(
                id: name("alice"), host: "127.0.0.1", port: port, timeout: .seconds(1),
                connectTimeout: Patience.guardTime)
        }
        await silent.stop()

        let garbage = FakeServer(answer: .raw(Array(repeating: 0x41, count: 300)))
        port = try await garbage.start()
        await #expect(throws: ClientError.self) {
            _ = try await ChatSession.connect(
                id: name("alice"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
        }
        await garbage.stop()

        await #expect(throws: ClientError.self) {
            _ = try await ChatSession.connect(
                id: name("alice"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
        }
    }

    @Test("a server that vanishes or turns to garbage ends the events with the reason")
    func serverLost() async throws {
        let server = FakeServer(answer: .connected(.seconds(60)))
        let port = try await server.start()
        let alice = try await ChatSession.connect(
            id: name("alice"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
        try await server.send(Array(repeating: 0x41, count: 300))
        guard case .disconnected(.malformed) = try await EventCollector(alice).next() else {
            throw TestFailure("expected malformed")
        }

        // (Without change events: a close within 2 s of `List changes` is read as refusing them.)
        let second = try await ChatSession.connect(
            id: name("bob"), host: "127.0.0.1", port: port, timeout: Patience.guardTime, changeEvents: false)
        await server.dropClient()
        #expect(try await EventCollector(second).next() == .disconnected(.closedByServer))
        await server.stop()
    }
}

extension String {
    /// Right-padded with spaces to `width`.
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - self.utf8.count)) }
}

/// Collects a session's events as they come, so that tests can wait for the next one with a timeout.
final class EventCollector: Sendable {
    private let events = NIOLockedValueBox<[ChatEvent]>([])
    private let task: Task<Void, Never>

    init(_ session: ChatSession) {
        let events = self.events
        self.task = Task {
            for await event in session.events { events.withLockedValue { $0.append(event) } }
        }
    }

    deinit { self.task.cancel() }

    /// The next event, waiting at most `timeout`.
    func next(timeout: Duration = Patience.guardTime) async throws -> ChatEvent {
        let deadline = ContinuousClock.now + timeout
        while true {
            let event = self.events.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() }
            if let event { return event }
            guard ContinuousClock.now < deadline else { throw TestFailure("no event within \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}
