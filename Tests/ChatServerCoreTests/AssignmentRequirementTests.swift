import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

/// One test (at least) per server requirement of the assignment, over real sockets.
@Suite("Server: the assignment's requirements")
struct AssignmentRequirementTests {
    @Test("receiving a message from a client and tokenising it into destination, source and body")
    func receivingAndTokenisingAMessage() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            try await alice.send(to: "bob", from: "alice", "hello, bob!")
            let frame = try await bob.nextSkippingLists()
            #expect(frame.destination.text == "bob")
            #expect(frame.source.text == "alice")
            #expect(frame.text == "hello, bob!")
        }
    }

    @Test("forwarding byte for byte and replying in the frame format")
    func forwardingAndReplyingInFrameFormat() async throws {
        try await withServer(aliveInterval: .milliseconds(250), aliveTimeout: .seconds(60)) { server in
            let alice = try await TestClient.connect(port: server.port)
            try await alice.send(to: "-SERVER-", from: "alice", "Connect alice")
            let connected = try await alice.next()
            #expect(Array(connected.wire.readableBytesView) == Array("alice   -SERVER-Connected 0.25".utf8) + [0])
            let bob = try await TestClient.online("bob", port: server.port)
            let body = (1...239).map { UInt8(truncatingIfNeeded: $0 % 255 + 1) }
            let sent = try Frame(
                destination: ChatName(validating: "bob"), source: ChatName(validating: "alice"), body: body)
            try await alice.channel.writeAndFlush(sent.wire)
            let received = try await bob.nextSkippingLists()
            #expect(received.wire == sent.wire)
        }
    }

    @Test("creating the client list: every online id, sorted by byte order")
    func creatingTheClientList() async throws {
        try await withServer { server in
            var clients: [TestClient] = []
            for name in ["carol", "Bob", "alice", "dave"] {
                clients.append(try await TestClient.online(name, port: server.port))
            }
            try await clients[0].send(to: "-SERVER-", from: "carol", "List")
            // Pushes may precede the answer; the last list is the full one either way.
            try await clients[0].awaitList(["Bob", "alice", "carol", "dave"])
            #expect(server.onlineNames.map(\.text) == ["Bob", "alice", "carol", "dave"])
        }
    }

    @Test("sending the client list in several parts when 60 clients are online")
    func sendingTheClientListInParts() async throws {
        try await withServer { server in
            let names = (0..<60).map { "client\($0 < 10 ? "0" : "")\($0)" }
            var clients: [TestClient] = []
            for name in names { clients.append(try await TestClient.online(name, port: server.port)) }
            try await clients[0].awaitList(names)
            try await Task.sleep(for: .milliseconds(200))  // let pending pushes land
            let first = clients[0]
            _ = first.drain()
            try await first.send(to: "-SERVER-", from: names[0], "List")
            var parts: [ListPart] = []
            repeat {
                guard case .list(let part) = try await first.nextControl() else { throw TestFailure("not a list") }
                parts.append(part)
            } while parts.last.map({ $0.index < $0.count }) ?? true
            #expect(parts.count == 3)
            #expect(parts.flatMap(\.names).map(\.text) == names)
        }
    }

    @Test("adding a new client: Connected first, then the list with the newcomer, to everyone")
    func addingANewClient() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            try await alice.awaitList(["alice"])
            let bob = try await TestClient.connect(port: server.port)
            try await bob.send(to: "-SERVER-", from: "bob", "Connect bob")
            #expect(try await bob.nextControl() == .connected(interval: .seconds(5)))
            #expect(try await bob.nextList() == ["alice", "bob"])
            try await alice.awaitList(["alice", "bob"])
            #expect(server.onlineCount == 2)
        }
    }

    @Test("deleting a client on Quit: closed, de-listed, the others told")
    func deletingAClientOnQuit() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            try await alice.awaitList(["alice", "bob"])
            try await bob.send(to: "-SERVER-", from: "bob", "Quit bob")
            try await bob.awaitClosed()
            try await alice.awaitList(["alice"])
            #expect(server.onlineNames.map(\.text) == ["alice"])
        }
    }

    @Test("retiring a client that stays silent past the alive timeout")
    func retiringASilentClient() async throws {
        // The server's time moves only when the test says: the rule, not the machine's speed.
        let clock = ManualServerClock()
        try await withServer(aliveInterval: .milliseconds(200), aliveTimeout: .milliseconds(1_500), clock: clock) {
            server in
            let silent = try await TestClient.online("silent", port: server.port)
            let alice = try await TestClient.online("alice", port: server.port)
            await clock.advance(by: .milliseconds(1_499))
            try await alice.send(to: "-SERVER-", from: "alice", "Alive alice")
            try await alice.expectServed(as: "alice")  // the Alive was read at 1.499 s
            #expect(!silent.isClosed)
            #expect(server.onlineCount == 2)
            await clock.advance(by: .milliseconds(1))
            try await silent.awaitClosed()
            await clock.advance(by: .milliseconds(100))
            try await alice.awaitList(["alice"])
            #expect(!alice.isClosed)
        }
    }

    @Test("retiring a client whose connection drops: de-listed at once, not after the timeout")
    func retiringADroppedConnection() async throws {
        let clock = ManualServerClock()
        try await withServer(aliveInterval: .seconds(5), clock: clock) { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            await clock.advance(by: .milliseconds(100))
            try await alice.awaitList(["alice", "bob"])
            await bob.close()
            // The clock stands still: the alive timeout cannot be what de-lists bob.
            try await waitUntil("bob de-listed") { server.onlineCount == 1 }
            await clock.advance(by: .milliseconds(100))
            try await alice.awaitList(["alice"])
        }
    }

    @Test("informing every client of a change of the list")
    func informingEveryClientOfAChange() async throws {
        try await withServer { server in
            let names = ["a", "b", "c"]
            var clients: [TestClient] = []
            for name in names { clients.append(try await TestClient.online(name, port: server.port)) }
            for client in clients { try await client.awaitList(names) }
            let d = try await TestClient.online("d", port: server.port)
            for client in clients + [d] { try await client.awaitList(names + ["d"]) }
            await clients[1].close()
            for client in [clients[0], clients[2], d] { try await client.awaitList(["a", "c", "d"]) }
        }
    }

    @Test("replying Offline when the target is not online")
    func replyingOfflineForAnOfflineTarget() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            try await alice.send(to: "nobody", from: "alice", "are you there?")
            let reply = try await alice.nextSkippingLists()
            #expect(reply.destination.text == "alice")
            #expect(try ServerControl.parse(reply.body) == .offline(ChatName(validating: "nobody")))
        }
    }

    @Test("resetting a client's life on Alive: a heartbeating client outlives many timeouts")
    func resettingLifeOnAlive() async throws {
        let clock = ManualServerClock()
        try await withServer(aliveInterval: .milliseconds(200), aliveTimeout: .milliseconds(1_500), clock: clock) {
            server in
            let alice = try await TestClient.online("alice", port: server.port)
            for _ in 0..<40 {  // 4 s of the server's time: over two timeouts' worth
                try await alice.send(to: "-SERVER-", from: "alice", "Alive alice")
                try await alice.expectServed(as: "alice")
                await clock.advance(by: .milliseconds(100))
            }
            #expect(!alice.isClosed)
            #expect(server.onlineNames.map(\.text) == ["alice"])
            // Then silence: retired.
            await clock.advance(by: .milliseconds(1_500))
            try await alice.awaitClosed()
            try await waitUntil("alice de-listed") { server.onlineCount == 0 }
        }
    }

    @Test("a message to ALL reaches every other online client, not the sender")
    func broadcast() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            let carol = try await TestClient.online("carol", port: server.port)
            try await alice.awaitList(["alice", "bob", "carol"])
            try await alice.send(to: "ALL", from: "alice", "hi all")
            for client in [bob, carol] {
                let frame = try await client.nextSkippingLists()
                #expect(frame.destination == .all)
                #expect(frame.source.text == "alice")
                #expect(frame.text == "hi all")
            }
            try await Task.sleep(for: .milliseconds(150))
            #expect(alice.pending.allSatisfy { $0.source == .server })
        }
    }
}
