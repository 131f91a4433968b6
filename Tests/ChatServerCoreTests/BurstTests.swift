import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import Logging
import NIOCore
import Testing

/// Many frames in one write: the server's fast path forwards runs of frames with the same two
/// names in one pass; every other frame in the same read still gets the full rules, in order.
/// Each test runs twice: as shipped, and with frames logged one by one (`.debug`), which turns
/// the fast path off; both must deliver the same.
@Suite("Server: frames arriving together")
struct BurstTests {
    /// A server with alice and bob online, each seeing the other in the list.
    private func withAliceAndBob(
        logLevel: Logger.Level, _ body: (TestClient, TestClient) async throws -> Void
    ) async throws {
        try await withServer(logLevel: logLevel) { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            try await bob.awaitList(["alice", "bob"])
            try await body(alice, bob)
        }
    }

    @Test(
        "a mixed burst: runs, a spoofed source, another target, Offline, ALL and a frame cut in two",
        arguments: [Logger.Level.critical, .debug])
    func mixedBurst(logLevel: Logger.Level) async throws {
        try await withServer(logLevel: logLevel) { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            let carol = try await TestClient.online("carol", port: server.port)
            try await alice.awaitList(["alice", "bob", "carol"])
            let cut = wireFrame("bob", "alice", "split across two writes")
            var burst =
                wireFrame("bob", "alice", "b1") + wireFrame("bob", "alice", "b2") + wireFrame("bob", "alice", "b3")
            burst += wireFrame("bob", "mallory", "spoofed")
            burst += wireFrame("bob", "alice", "b4")
            burst += wireFrame("carol", "alice", "c1") + wireFrame("carol", "alice", "c2")
            burst += wireFrame("nobody", "alice", "lost?")
            burst += wireFrame("ALL", "alice", "to all")
            burst += wireFrame("bob", "alice", "b5") + wireFrame("bob", "alice", "b6")
            burst += cut.prefix(20)
            try await alice.sendRaw(burst)
            try await Task.sleep(for: .milliseconds(50))
            try await alice.sendRaw(Array(cut.dropFirst(20)) + wireFrame("bob", "alice", "b7"))

            var toBob: [String] = []
            for _ in 0..<9 { toBob.append(try await bob.nextSkippingLists().text) }
            #expect(toBob == ["b1", "b2", "b3", "b4", "to all", "b5", "b6", "split across two writes", "b7"])
            var toCarol: [String] = []
            for _ in 0..<3 { toCarol.append(try await carol.nextSkippingLists().text) }
            #expect(toCarol == ["c1", "c2", "to all"])
            let first = try await alice.nextSkippingLists()
            #expect(first.source == .server && first.text.contains("not your id"), "\(first.text)")
            #expect(try await alice.nextSkippingLists().text == "Offline nobody")
            // Nothing more: the spoofed frame was dropped, not delivered.
            try await Task.sleep(for: .milliseconds(100))
            #expect(bob.drain().allSatisfy { $0.source == .server })
            #expect(carol.drain().allSatisfy { $0.source == .server })
        }
    }

    @Test(
        "300 messages each followed by a spoofed one, in one write: only the real ones arrive, each spoof is refused",
        arguments: [Logger.Level.critical, .debug])
    func interleavedSpoofs(logLevel: Logger.Level) async throws {
        // The receive buffer starts small and grows over the first reads, so a long burst is
        // needed for frames to share reads with the ones before them (the fast path's case).
        try await self.withAliceAndBob(logLevel: logLevel) { alice, bob in
            var burst: [UInt8] = []
            for index in 0..<300 {
                burst += wireFrame("bob", "alice", "real \(index)") + wireFrame("bob", "mallory", "spoof \(index)")
            }
            try await alice.sendRaw(burst)
            for index in 0..<300 {
                let frame = try await bob.nextSkippingLists()
                guard frame.text == "real \(index)" else {
                    throw TestFailure("message \(index): got '\(frame.text)' from \(frame.source)")
                }
            }
            for _ in 0..<300 {
                let frame = try await alice.nextSkippingLists()
                guard frame.source == .server, frame.text.contains("not your id") else {
                    throw TestFailure("expected an Error for a spoof, got '\(frame.text)'")
                }
            }
        }
    }

    @Test("a run of 1,000 frames in one write arrives whole and in order", arguments: [Logger.Level.critical, .debug])
    func longRun(logLevel: Logger.Level) async throws {
        try await self.withAliceAndBob(logLevel: logLevel) { alice, bob in
            var burst: [UInt8] = []
            for index in 0..<1_000 { burst += wireFrame("bob", "alice", "message \(index)") }
            try await alice.sendRaw(burst)
            for index in 0..<1_000 {
                let frame = try await bob.nextSkippingLists()
                guard frame.text == "message \(index)", frame.source.text == "alice" else {
                    throw TestFailure("message \(index): got '\(frame.text)' from \(frame.source)")
                }
            }
        }
    }
}
