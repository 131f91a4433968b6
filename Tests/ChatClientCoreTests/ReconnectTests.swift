import ChatClientCore
import ChatSystem
import ChatTestSupport
import ChatWireTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Client: reconnecting", .serialized)
struct ReconnectTests {
    @Test("--reconnect: the server dies and comes back on the same port; the client registers again and talks")
    func reconnects() async throws {
        let (first, port) = try await startServer()
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)", "--reconnect"])
        defer { alice.stop() }
        try await alice.waitFor("online (1): alice")
        first.signal(SIGKILL)
        _ = try await first.waitForExit()
        // Held until the test ends: alice's attempts are refused until the second server
        // listens there (it may bind a held port), and no other test's listener gets the port
        // meanwhile (alice would reach it instead).
        PortHolds.hold(port)
        defer { PortHolds.release(port) }
        try await alice.waitFor("lost the server", inErrors: true)
        try await alice.waitFor("reconnecting in")
        let second = try await ProgramProcess(
            "chatserver", ["--port", "\(port)", "--connect-timeout", "600", "--alive-timeout", "600"])
        defer { second.stop() }
        try await alice.waitFor("reconnected to 127.0.0.1:\(port) as alice", timeout: Patience.guardTime)
        let bob = try await ProgramProcess("chatclient", ["bob", "--port", "\(port)"])
        defer { bob.stop() }
        try await bob.waitFor("online (2): alice bob")
        alice.type("(bob) back again")
        try await bob.waitFor("alice: back again")
        alice.type("@Quit")
        #expect(try await alice.waitForExit() == 0)
    }

    @Test("without --reconnect, losing the server ends the client with exit code 1")
    func noReconnect() async throws {
        let (server, port) = try await startServer()
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        try await alice.waitFor("online (1): alice")
        server.signal(SIGKILL)
        #expect(try await alice.waitForExit() == 1)
        #expect(alice.stderr.contains("lost the server"))
    }
}

/// `chatclient` against servers that misbehave: a clear message and a non-zero exit.
@Suite("End to end: broken servers")
struct BrokenServerTests {
    @Test("a server that never answers Connect: the reason, exit code 1, after the 5 s wait")
    func silentServer() async throws {
        let server = FakeServer(answer: .silence)
        let port = try await server.start()
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        #expect(try await alice.waitForExit(timeout: Patience.guardTime) == 1)
        #expect(alice.stderr.contains("did not answer Connect within 5 seconds"))
        await server.stop()
    }

    @Test("a server that answers with garbage: the reason, exit code 1")
    func garbageServer() async throws {
        let server = FakeServer(answer: .raw(Array(repeating: 0x41, count: 300)))
        let port = try await server.start()
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        #expect(try await alice.waitForExit() == 1)
        #expect(!alice.stderr.isEmpty)
        await server.stop()
    }

    @Test("a server that turns to garbage mid-session: 'lost the server', exit code 1")
    func garbageLater() async throws {
        let server = FakeServer(answer: .connected(.seconds(5)))
        let port = try await server.start()
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        try await alice.waitFor("connected to")
        try await server.send(Array(repeating: 0x42, count: 300))
        #expect(try await alice.waitForExit() == 1)
        #expect(alice.stderr.contains("lost the server: the server sent malformed data"))
        await server.stop()
    }
}
