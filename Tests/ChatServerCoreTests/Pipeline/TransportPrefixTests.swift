import ChatServerCore
import ChatTestSupport
import ChatWireTestSupport
import Logging
import NIOPosix
import Testing

/// A transport is a pipeline prefix: a framing of its own in front of the same protocol handler.
@Suite("Server: transport prefixes")
struct TransportPrefixTests {
    @Test("A framing prefix (one frame per length-prefixed message) joins the same chat as plain TCP")
    func framedListener() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var configuration = ServerConfiguration()
        configuration.aliveTimeout = Patience.aliveTimeout
        configuration.flood = Patience.floodLimits
        let logger = Logger(label: "prefix") { _ in DiscardingLogHandler() }
        let server = try await ChatServer.start(
            configuration: configuration, group: group, logger: logger,
            listeners: [
                Listener(host: "127.0.0.1", port: 0),
                Listener(host: "127.0.0.1", port: 0, transport: LengthPrefixTransport()),
            ])
        do {
            let plainPort = server.localAddresses[0].port ?? 0
            let framedPort = server.localAddresses[1].port ?? 0
            let alice = try await TestClient.online("alice", port: plainPort)
            // bob's client reads and writes length-prefixed messages only: had the server written
            // bare frames to him, his decoder would have read garbage.
            let bob = try await TestClient.online("bob", port: framedPort) { try LengthPrefixTransport().configure($0) }
            try await alice.awaitList(["alice", "bob"])
            try await bob.awaitList(["alice", "bob"])
            try await alice.send(to: "bob", from: "alice", "to the framed side")
            #expect(try await bob.nextSkippingLists().text == "to the framed side")
            try await bob.send(to: "ALL", from: "bob", "to everyone")
            #expect(try await alice.nextSkippingLists().text == "to everyone")
            try await bob.send(to: "carol", from: "bob", "nobody")
            #expect(try await bob.nextSkippingLists().text == "Offline carol")
            try await bob.send(to: "-SERVER-", from: "bob", "Quit bob")
            try await bob.awaitClosed()
            try await alice.awaitList(["alice"])
            await server.shutdown()
            try await alice.awaitClosed()
        } catch {
            await server.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }
}
