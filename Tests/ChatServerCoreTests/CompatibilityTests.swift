import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

/// What other implementations' clients send, over real sockets (docs/PROTOCOL.md,
/// "Compatibility"): a bare `Connect` answered in kind, and the user's `@List` and `@Quit` as
/// typed.
@Suite("Server: other implementations' clients")
struct CompatibilityTests {
    @Test("A bare Connect is answered with the interval alone, padded to 8 characters; Connect <id> as always")
    func bareConnect() async throws {
        try await withServer(aliveInterval: .seconds(5)) { server in
            let bare = try await TestClient.connect(port: server.port)
            try await bare.sendRaw(wireFrame("-SERVER-", "alice", "Connect"))
            let reply = try await bare.next()
            #expect(Array(reply.wire.readableBytesView) == wireFrame("alice", "-SERVER-", "5       "))
            #expect(try await bare.nextList() == ["alice"], "then the list, as for any newcomer")

            let named = try await TestClient.connect(port: server.port)
            try await named.send(to: "-SERVER-", from: "bob", "Connect bob")
            #expect(try await named.next().text == "Connected 5")
            await bare.close()
            await named.close()
        }
        try await withServer(aliveInterval: .milliseconds(250)) { server in
            let bare = try await TestClient.connect(port: server.port)
            try await bare.sendRaw(wireFrame("-SERVER-", "ann", "Connect"))
            #expect(try await bare.next().text == "0.25    ")
            await bare.close()
        }
    }

    @Test("@List and @Quit to -SERVER- mean List and Quit")
    func typedCommands() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            try await alice.awaitList(["alice", "bob"])
            try await bob.awaitList(["alice", "bob"])  // bob's own push: nothing changes after it
            try await bob.send(to: "-SERVER-", from: "bob", "@List")
            #expect(try await bob.nextList() == ["alice", "bob"], "the answer to @List")
            try await bob.send(to: "-SERVER-", from: "bob", "@Quit")
            try await bob.awaitClosed()
            try await alice.awaitList(["alice"])
            await alice.close()
        }
    }
}
