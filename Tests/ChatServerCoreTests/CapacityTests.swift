import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

/// Limits, load and shutdown, over real sockets.
@Suite("Server: limits, load and shutdown")
struct CapacityTests {
    @Test("--max-clients: one more Connect gets Error and is closed")
    func maxClients() async throws {
        try await withServer(maxClients: 2) { server in
            _ = try await TestClient.online("a", port: server.port)
            let b = try await TestClient.online("b", port: server.port)
            let c = try await TestClient.connect(port: server.port)
            try await c.send(to: "-SERVER-", from: "c", "Connect c")
            guard case .error(let message) = try await c.nextControl() else { throw TestFailure("no Error") }
            #expect(message.contains("full"))
            try await c.awaitClosed()
            // A place frees up: the next Connect succeeds.
            try await b.send(to: "-SERVER-", from: "b", "Quit b")
            try await b.awaitClosed()
            let d = try await TestClient.online("d", port: server.port)
            #expect(!d.isClosed)
        }
    }

    @Test("a slow consumer is cut off past --max-pending-bytes; the sender and the server carry on")
    func slowConsumer() async throws {
        try await withServer(maxPendingBytes: 64 * 1024) { server in
            let slow = try await TestClient.online("slow", port: server.port)
            let flooder = try await TestClient.online("flooder", port: server.port)
            try await slow.setReading(false)
            // 256 messages of 239 bytes per write: the kernel buffers of both sockets fill first
            // (a few MB on loopback), then the server's.
            let batch = Array(
                (0..<256).map { _ in wireFrame("slow", "flooder", String(repeating: "x", count: 239)) }.joined())
            var sent = 0
            let deadline = ContinuousClock.now + Patience.guardTime
            while server.onlineNames.contains(where: { $0.text == "slow" }) {
                try await flooder.sendRaw(batch)
                sent += 256
                guard sent < 400_000, ContinuousClock.now < deadline else {
                    throw TestFailure("the slow consumer was never cut off")
                }
            }
            // Messages sent after the cut are answered `Offline slow`, before the list asked for now.
            try await flooder.send(to: "-SERVER-", from: "flooder", "List")
            while true {
                let text = try await flooder.next().text
                if text == "List 1/1 flooder" { break }
                guard text == "Offline slow" || text.hasPrefix("List ") else {
                    throw TestFailure("unexpected '\(text)'")
                }
            }
            #expect(server.onlineNames.map(\.text) == ["flooder"])
        }
    }

    @Test("SIGTERM-style graceful shutdown: every client gets 'Error server shutting down' and is closed")
    func gracefulShutdown() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            await server.shutdown()
            for client in [alice, bob] {
                let frame = try await client.nextSkippingLists()
                #expect(try ServerControl.parse(frame.body) == .error("server shutting down"))
                try await client.awaitClosed()
            }
            await #expect(throws: (any Error).self) { _ = try await TestClient.connect(port: server.port) }
        }
    }

    @Test("shutdown also tells and closes a connection that has not sent Connect, and waits for it")
    func shutdownBeforeConnect() async throws {
        let clock = ManualServerClock()  // stands still: the alive timeout closes nothing here
        try await withServer(clock: clock) { server in
            let early = try await TestClient.connect(port: server.port)
            try await waitUntil("the connection set up") { clock.pendingTimers == 1 }
            await server.shutdown()
            let frame = try await early.next()
            #expect(frame.destination == .server, "no id yet: addressed to -SERVER-")
            #expect(try ServerControl.parse(frame.body) == .error("server shutting down"))
            try await early.awaitClosed()
        }
    }

    @Test("a burst of 300 joins causes a handful of list pushes, each client ending with the full list")
    func coalescedPushes() async throws {
        let clock = ManualServerClock()
        try await withServer(clock: clock) { server in
            let first = try await TestClient.online("first", port: server.port)
            let names = (0..<300).map { "j\($0)" }
            var clients: [TestClient] = []
            try await withThrowingTaskGroup(of: TestClient.self) { group in
                for name in names { group.addTask { try await TestClient.online(name, port: server.port) } }
                for try await client in group { clients.append(client) }
            }
            // The joins came faster than the server's clock moves (it does not, until told): the
            // coalescing rule itself, with joins spread in time, is ConnectionHandlerTests'.
            await clock.advance(by: .milliseconds(100))
            let everyone = (names + ["first"]).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            try await first.awaitList(everyone)
            for client in clients.prefix(20) { try await client.awaitList(everyone) }
            await clock.advance(by: .milliseconds(200))
            try await first.expectServed(as: "first")
            let lists = first.drain().filter { $0.text.hasPrefix("List 1/") }.count
            // The lists already taken by awaitList plus any left over: far fewer than 300.
            #expect(lists < 10)
        }
    }

    @Test("200 clients on several threads exchange 10,000 messages: each delivered once, in order, or answered Offline")
    func concurrentExchange() async throws {
        try await withServer(threads: 2) { server in
            let count = 200
            let names = (0..<count).map { "c\($0)" }
            var clients: [TestClient] = []
            for name in names { clients.append(try await TestClient.online(name, port: server.port)) }
            let perSender = 50
            // Every 10th message goes to an id nobody holds.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, client) in clients.enumerated() {
                    group.addTask {
                        var generator = SystemRandomNumberGenerator()
                        for sequence in 0..<perSender {
                            let target =
                                sequence % 10 == 9
                                ? "ghost\(index % 7)" : names[Int.random(in: 0..<count, using: &generator)]
                            try await client.send(to: target, from: names[index], "\(names[index]):\(sequence)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let total = count * perSender
            var delivered: [String: [Int]] = [:]  // "receiver<-sender" to sequence numbers
            var offline = 0
            var received = 0
            let deadline = ContinuousClock.now + Patience.guardTime
            while received < total, ContinuousClock.now < deadline {
                for (index, client) in clients.enumerated() {
                    for frame in client.drain() {
                        if frame.source == .server {
                            if frame.text.hasPrefix("Offline ") { offline += 1; received += 1 }
                            continue
                        }
                        let parts = frame.text.split(separator: ":")
                        guard parts.count == 2, let sequence = Int(parts[1]) else { throw TestFailure("bad body") }
                        #expect(frame.destination.text == names[index])
                        delivered["\(names[index])<-\(parts[0])", default: []].append(sequence)
                        received += 1
                    }
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(received == total)
            #expect(offline == count * perSender / 10)
            for (pair, sequences) in delivered {
                #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "\(pair)")
            }
        }
    }
}
