import ChatClientCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

/// Change events over real sockets (docs/PROTOCOL.md, "Change events"): the bytes our server
/// sends a client that asks, our client against our server, a client that misses a version,
/// and our client against a server that does not know them.
@Suite("Change events, end to end")
struct ChangeEventsEndToEndTests {
    private func name(_ text: String) throws -> ChatName { try ChatName(validating: text) }

    /// Waits for a list event equal to `names`; returns it.
    private func awaitList(_ names: [String], _ events: EventCollector) async throws -> ListUpdate {
        while true {
            if case .list(let update) = try await events.next(), update.names.map(\.text) == names { return update }
        }
    }

    @Test("a client that asks: the whole list once as Online, then Changed with versions; others get List as ever")
    func onTheWire() async throws {
        try await withServer { server in
            // Enough clients that one change weighs less than the whole list (else the whole
            // list is sent: it is the cheaper of the two).
            let others = ["p1", "p2", "p3", "p4", "p5", "p6"]
            var crowd: [TestClient] = []
            for other in others { crowd.append(try await TestClient.online(other, port: server.port)) }
            let plain = try await TestClient.online("plain", port: server.port)
            try await plain.awaitList(others + ["plain"])
            let watcher = try await TestClient.connect(port: server.port)
            // In one write, as our clients do: asked later, a push could come first as a full
            // list (the client was not asking yet).
            try await watcher.sendRaw(
                wireFrame("-SERVER-", "watcher", "Connect watcher") + wireFrame("-SERVER-", "watcher", "List changes"))
            #expect(try await watcher.next().text == "Connected 5")
            let whole = try await watcher.next().text
            guard case .online(let first)? = try? ServerControl.parse(ByteBuffer(string: whole)) else {
                throw TestFailure("expected an Online list, got '\(whole)'")
            }
            #expect(
                first.part.names.map(\.text) == others + ["plain", "watcher"],
                "its first list is the push that holds it, never one without it")
            try await plain.awaitList(others + ["plain", "watcher"])

            let bob = try await TestClient.online("bob", port: server.port)
            #expect(try await watcher.next().text == "Changed \(first.version) \(first.version + 1) 1/1 +bob")
            await bob.close()
            #expect(try await watcher.next().text == "Changed \(first.version + 1) \(first.version + 2) 1/1 -bob")
            try await plain.awaitList(others + ["plain", "watcher"])
            #expect(plain.pending.allSatisfy { $0.text.hasPrefix("List ") }, "a plain client never sees change events")
            // List, with change events on: the whole list again, versioned.
            try await watcher.send(to: "-SERVER-", from: "watcher", "List")
            #expect(
                try await watcher.next().text
                    == "Online \(first.version + 2) 1/1 " + (others + ["plain", "watcher"]).joined(separator: " "))
            for client in crowd { await client.close() }
        }
    }

    @Test("our client against our server: lists from changes, who joined and left, as with full lists")
    func ourClient() async throws {
        try await withServer { server in
            let alice = try await ChatSession.connect(
                id: name("alice"), host: "127.0.0.1", port: server.port, timeout: Patience.guardTime)
            let events = EventCollector(alice)
            _ = try await awaitList(["alice"], events)
            let bob = try await ChatSession.connect(
                id: name("bob"), host: "127.0.0.1", port: server.port, timeout: Patience.guardTime)
            let joined = try await awaitList(["alice", "bob"], events)
            #expect(joined.joined.map(\.text) == ["bob"])
            await bob.quit()
            let left = try await awaitList(["alice"], events)
            #expect(left.left.map(\.text) == ["bob"])
            try await alice.requestList()
            _ = try await awaitList(["alice"], events)
            await alice.quit()
        }
    }

    @Test("changes that skip a version: the client asks for the whole list, and goes on from it")
    func missedVersion() async throws {
        let server = FakeServer(answer: .connected(.seconds(60)))
        let port = try await server.start()
        let alice = try await ChatSession.connect(
            id: name("alice"), host: "127.0.0.1", port: port, timeout: Patience.guardTime)
        let events = EventCollector(alice)
        try await server.send(wireFrame("alice", "-SERVER-", "Online 3 1/1 alice bob"))
        _ = try await awaitList(["alice", "bob"], events)
        try await server.send(wireFrame("alice", "-SERVER-", "Changed 5 6 1/1 +carol"))  // 3 → 5 was missed
        let frames = try await server.awaitFrames(3)
        #expect(frames.map(\.frame.text) == ["Connect alice", "List changes", "List"])
        try await server.send(
            wireFrame("alice", "-SERVER-", "Online 6 1/1 alice bob carol")
                + wireFrame("alice", "-SERVER-", "Changed 6 7 1/1 -bob"))
        _ = try await awaitList(["alice", "bob", "carol"], events)
        let update = try await awaitList(["alice", "carol"], events)
        #expect(update.left.map(\.text) == ["bob"])
        await alice.close()
        await server.stop()
    }

    @Test("a server that does not know List changes: its Error is not shown, and full lists work as ever")
    func fallback() async throws {
        let server = FakeServer(answer: .connected(.seconds(60)))
        let port = try await server.start()
        // However slow the machine, the Error comes within the time the answer is waited for.
        let alice = try await ChatSession.connect(
            id: name("alice"), host: "127.0.0.1", port: port, timeout: Patience.guardTime,
            changesAnswerTime: Patience.guardTime)
        let events = EventCollector(alice)
        try await server.send(
            wireFrame("alice", "-SERVER-", "Error 'List' takes no argument")
                + wireFrame("alice", "-SERVER-", "List 1/1 alice bob"))
        #expect(try await events.next() == .list(ListUpdate(names: [name("alice"), name("bob")], previous: nil)))
        try await server.send(wireFrame("alice", "-SERVER-", "Error something else"))
        #expect(try await events.next() == .serverError("something else"))
        await alice.close()
        await server.stop()
    }
}
