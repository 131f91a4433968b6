import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import NIOPosix
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Hostile and broken peers over real sockets: the server survives them, retires them, and
/// keeps serving everyone else.
@Suite("Server: faults and hostile peers")
struct FaultTests {
    @Test("a client that resets its connection in the middle of a frame is de-listed at once")
    func resetMidFrame() async throws {
        let clock = ManualServerClock()
        try await withServer(clock: clock) { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            await clock.advance(by: .milliseconds(100))
            try await alice.awaitList(["alice", "bob"])
            try await bob.sendRaw(Array("alice   bob     half a fra".utf8))
            // SO_LINGER 0: close() sends a reset instead of a FIN.
            let provider = try #require(bob.channel as? any SocketOptionProvider)
            try await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
            await bob.close()
            // The clock stands still: the alive timeout cannot be what de-lists bob.
            try await waitUntil("bob de-listed") { server.onlineCount == 1 }
            await clock.advance(by: .milliseconds(100))
            try await alice.awaitList(["alice"])
            try await alice.expectServed(as: "alice")
        }
    }

    @Test("a half-open client (stops reading and sending) is retired by the alive timeout")
    func halfOpen() async throws {
        let clock = ManualServerClock()
        try await withServer(aliveInterval: .milliseconds(200), aliveTimeout: .milliseconds(1_500), clock: clock) {
            server in
            let ghost = try await TestClient.online("ghost", port: server.port)
            try await ghost.setReading(false)
            let alice = try await TestClient.online("alice", port: server.port)
            for _ in 0..<16 {  // 1.6 s of the server's time, alice alive all along
                try await alice.send(to: "-SERVER-", from: "alice", "Alive alice")
                try await alice.expectServed(as: "alice")
                await clock.advance(by: .milliseconds(100))
            }
            await clock.advance(by: .milliseconds(100))
            try await alice.awaitList(["alice"])
            #expect(server.onlineNames.map(\.text) == ["alice"])
        }
    }

    @Test("random bytes get Error and a closed connection; the server serves the others", arguments: [1, 2, 3])
    func randomBytes(seed: UInt64) async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            var generator = SplitMix64(seed: seed)
            let noise = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let vandal = try await TestClient.connect(port: server.port)
            try? await vandal.sendRaw(noise)
            try await vandal.awaitClosed()
            try await alice.expectServed(as: "alice")
        }
    }

    @Test("1,000 clients connecting in a burst are all registered, then all de-listed when they leave")
    func connectBurst() async throws {
        // The clients get an event loop of their own, and stop reading once registered (the
        // list pushes of a thousand joins wait in the kernel), so that the burst does not starve
        // the other tests running alongside.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { loops.shutdownGracefully { _ in } }
        try await withServer { server in
            let clients = try await withThrowingTaskGroup(of: TestClient.self) { group in
                for index in 0..<1_000 {
                    group.addTask {
                        let client = try await TestClient.online("burst\(index)", port: server.port, group: loops)
                        try await client.setReading(false)
                        return client
                    }
                }
                var clients: [TestClient] = []
                for try await client in group { clients.append(client) }
                return clients
            }
            #expect(clients.count == 1_000)
            #expect(server.onlineCount == 1_000)
            for client in clients { await client.close() }
            let deadline = ContinuousClock.now + Patience.guardTime
            while server.onlineCount > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(server.onlineCount == 0)
        }
    }

    @Test("churn: 10,000 connect, exchange, leave cycles (half Quit, half close): nothing lost, the registry empties")
    func churn() async throws {
        try await withServer { server in
            // Warm up the test's own event loops (their descriptors stay), then take the baseline.
            let warmUp = try await TestClient.online("warmup", port: server.port)
            await warmUp.close()
            let warmedUp = ContinuousClock.now + Patience.guardTime
            while server.onlineCount > 0, ContinuousClock.now < warmedUp {
                try await Task.sleep(for: .milliseconds(10))
            }
            let descriptorsAtStart = Self.openDescriptors()
            var delivered = 0
            var offline = 0
            let sent = 10_000
            for round in 0..<100 {
                // 50 pairs a round; each client sends its partner one message, then half of them
                // Quit and half simply close.
                var pairs: [(TestClient, TestClient, String, String)] = []
                for index in 0..<50 {
                    let a = "a\(round)x\(index)"
                    let b = "b\(round)x\(index)"
                    pairs.append(
                        (
                            try await TestClient.online(a, port: server.port),
                            try await TestClient.online(b, port: server.port), a, b
                        ))
                }
                for (first, second, a, b) in pairs {
                    try await first.send(to: b, from: a, "hi \(b)")
                    try await second.send(to: a, from: b, "hi \(a)")
                }
                for (first, second, a, b) in pairs {
                    for (client, name) in [(first, a), (second, b)] {
                        let frame = try await client.nextSkippingLists()
                        if frame.text == "hi \(name)" {
                            delivered += 1
                        } else if frame.text.hasPrefix("Offline") {
                            offline += 1
                        }
                    }
                }
                for (index, (first, second, a, b)) in pairs.enumerated() {
                    if index.isMultiple(of: 2) {
                        try await first.send(to: "-SERVER-", from: a, "Quit \(a)")
                        try await second.send(to: "-SERVER-", from: b, "Quit \(b)")
                    }
                    await first.close()
                    await second.close()
                }
            }
            #expect(delivered + offline == sent)
            #expect(delivered == sent)
            let deadline = ContinuousClock.now + Patience.guardTime
            while server.onlineCount > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(server.onlineCount == 0)
            // Both ends of every connection live in this process: all of them must be closed.
            while Self.openDescriptors() > descriptorsAtStart, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(Self.openDescriptors() <= descriptorsAtStart)
        }
    }

    /// The number of open file descriptors of this process.
    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}
