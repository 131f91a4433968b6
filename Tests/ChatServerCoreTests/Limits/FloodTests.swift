import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

/// Flood control on real sockets, on a clock the tests move.
@Suite("Flood control on the wire")
struct FloodTests {
    /// Of `clients`, connected at about the same time, the server turns exactly one away (which
    /// one depends on the order its loops take them): what it was told, and the others.
    private static func oneTurnedAway(_ clients: [TestClient]) async throws -> (told: [String], kept: [TestClient]) {
        try await waitUntil("one turned away") { clients.contains { $0.isClosed } }
        let refused = clients.filter(\.isClosed)
        #expect(refused.count == 1)
        return (refused.first?.drain().map(\.text) ?? [], clients.filter { !$0.isClosed })
    }

    @Test(
        "A client over its rate is slowed, not cut: what it sent past its burst waits until the clock moves, and all of it arrives in order"
    )
    func flooderSlowed() async throws {
        let clock = ManualServerClock()
        var limits = Patience.floodLimits
        limits.messagesPerSecond = 100
        limits.burst = 100
        try await withServer(clock: clock, flood: limits) { server in
            let flooder = try await TestClient.online("flooder", port: server.port)
            let sink = try await TestClient.online("sink", port: server.port)
            defer {
                Task {
                    await flooder.close(); await sink.close()
                }
            }
            // 300 frames in one write: read in one or a few bursts, 200 over the burst.
            var bytes: [UInt8] = []
            for index in 0..<300 {
                bytes += try Frame(
                    destination: ChatName(validating: "sink"), source: ChatName(validating: "flooder"),
                    text: "m\(index)"
                ).wire.readableBytesView
            }
            try await flooder.sendRaw(bytes)
            var seen = 0
            while seen < 300 {
                let frame = try await sink.nextSkippingLists()
                #expect(frame.text == "m\(seen)")
                seen += 1
            }
            // Reading from the flooder is paused now: its next message waits for the clock.
            try await flooder.send(to: "sink", from: "flooder", "after")
            await #expect(throws: (any Error).self) {
                _ = try await sink.nextSkippingLists(timeout: .milliseconds(300))
            }
            // Meanwhile the others are served as before.
            let other = try await TestClient.online("other", port: server.port)
            defer { Task { await other.close() } }
            try await other.send(to: "sink", from: "other", "meanwhile")
            let meanwhile = try await sink.nextSkippingLists()
            #expect(meanwhile.source.text == "other" && meanwhile.text == "meanwhile")
            await clock.advance(by: .seconds(3))
            #expect(try await sink.nextSkippingLists().text == "after", "delivered once the bucket refilled")
            #expect(!flooder.isClosed, "slowed, not cut")
        }
    }

    @Test("Per address: connections beyond the cap are told and closed; a closed one makes room")
    func clientsPerAddress() async throws {
        var limits = Patience.floodLimits
        limits.clientsPerAddress = 2
        try await withServer(flood: limits) { server in
            let first = try await TestClient.online("one", port: server.port)
            let (refused, kept) = try await Self.oneTurnedAway([
                try await TestClient.connect(port: server.port), try await TestClient.connect(port: server.port),
            ])
            #expect(refused == ["Error too many connections from your address (2)"])
            await first.close()
            try await waitUntil("room again") {
                // Until the server has seen the close, a new connection is still turned away.
                let client = try await TestClient.connect(port: server.port)
                defer { Task { await client.close() } }
                guard (try? await client.send(to: "-SERVER-", from: "two", "Connect two")) != nil else { return false }
                return (try? await client.next().text) == "Connected 5"
            }
            for client in kept { await client.close() }
        }
    }

    @Test("Per address: new connections beyond the rate are told and closed until the clock moves")
    func connectsPerAddress() async throws {
        let clock = ManualServerClock()
        var limits = Patience.floodLimits
        limits.connectsPerAddressPerSecond = 3
        try await withServer(clock: clock, flood: limits) { server in
            var four: [TestClient] = []
            for _ in 0..<4 { four.append(try await TestClient.connect(port: server.port)) }
            let (refused, open) = try await Self.oneTurnedAway(four)
            #expect(refused == ["Error too many new connections from your address (3 a second)"])
            await clock.advance(by: .seconds(1))
            let fifth = try await TestClient.connect(port: server.port)
            try await fifth.send(to: "-SERVER-", from: "five", "Connect five")
            #expect(try await fifth.next().text == "Connected 5")
            for client in open + [fifth] { await client.close() }
        }
    }

    @Test("A connection that sends no Connect within the connect timeout is told and closed")
    func connectDeadline() async throws {
        let clock = ManualServerClock()
        var limits = Patience.floodLimits
        limits.connectTimeout = .seconds(10)
        try await withServer(clock: clock, flood: limits) { server in
            let silent = try await TestClient.connect(port: server.port)
            try await silent.sendRaw(Array("bob     ".utf8))  // half a header: no sign of life
            try await waitUntil("the life timer set") { clock.pendingTimers > 0 }
            await clock.advance(by: .seconds(9))
            #expect(!silent.isClosed)
            await clock.advance(by: .seconds(1))
            let reply = try await silent.next()
            #expect(reply.source == .server && reply.text == "Error no Connect within 10 s")
            try await silent.awaitClosed()
        }
    }

    @Test("Connections waiting for Connect are bounded as a whole")
    func waitingBounded() async throws {
        var limits = Patience.floodLimits
        limits.waitingConnections = 2
        try await withServer(flood: limits) { server in
            var three: [TestClient] = []
            for _ in 0..<3 { three.append(try await TestClient.connect(port: server.port)) }
            let (refused, kept) = try await Self.oneTurnedAway(three)
            #expect(refused == ["Error too many connections waiting for Connect (2)"])
            // Once one comes online, there is room again.
            try await kept[0].send(to: "-SERVER-", from: "one", "Connect one")
            #expect(try await kept[0].next().text == "Connected 5")
            let fourth = try await TestClient.connect(port: server.port)
            try await fourth.send(to: "-SERVER-", from: "four", "Connect four")
            #expect(try await fourth.next().text == "Connected 5")
            for client in kept + [fourth] { await client.close() }
        }
    }
}
