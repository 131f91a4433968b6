import ChatTestSupport
import ChatWireTestSupport
import Logging
import NIOPosix
import Testing

@testable import ChatServerCore

@Suite("Server: configuration")
struct ServerConfigurationTests {
    @Test("the defaults are valid; the timeout defaults to 3 × the interval")
    func defaults() throws {
        let configuration = ServerConfiguration()
        try configuration.validate()
        #expect(configuration.effectiveAliveTimeout == .seconds(15))
    }

    @Test("bad values are refused with the option's name")
    func invalid() {
        var configuration = ServerConfiguration()
        configuration.port = 70_000
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = ServerConfiguration()
        configuration.aliveTimeout = .seconds(5)
        #expect(throws: ConfigurationError.invalid("--alive-timeout must be larger than --alive-interval")) {
            try configuration.validate()
        }
        configuration = ServerConfiguration()
        configuration.maxClients = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.maxClients = ServerConfiguration.maxClientsLimit
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.maxClients = ServerConfiguration.maxClientsLimit + 1
        #expect(throws: ConfigurationError.invalid("--max-clients must be 1...1000000")) {
            try configuration.validate()
        }
        configuration = ServerConfiguration()
        configuration.threads = ServerConfiguration.threadsLimit + 1
        #expect(throws: ConfigurationError.invalid("--threads must be 1...1024")) {
            try configuration.validate()
        }
        configuration.threads = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}

@Suite("Server: listeners")
struct ListenerTests {
    @Test("no listener is a configuration error; two listeners are one chat")
    func listeners() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            var configuration = ServerConfiguration()
            configuration.port = 0
            // Real time passes here: on a busy machine (TSan, parallel tests) the default 15 s
            // timeout could retire a client between two steps.
            configuration.aliveTimeout = Patience.aliveTimeout
            configuration.flood = Patience.floodLimits
            let logger = Logger(label: "listeners") { _ in DiscardingLogHandler() }
            await #expect(throws: ConfigurationError.invalid("the server needs at least one listener")) {
                _ = try await ChatServer.start(
                    configuration: configuration, group: group, logger: logger, listeners: [])
            }
            let server = try await ChatServer.start(
                configuration: configuration, group: group, logger: logger,
                listeners: [Listener(host: "127.0.0.1", port: 0), Listener(host: "127.0.0.1", port: 0)])
            #expect(server.localAddresses.count == 2)
            let alice = try await TestClient.online("alice", port: server.localAddresses[0].port ?? 0)
            let bob = try await TestClient.online("bob", port: server.localAddresses[1].port ?? 0)
            try await alice.send(to: "bob", from: "alice", "across listeners")
            #expect(try await bob.nextSkippingLists().text == "across listeners")
            await server.shutdown()
            try await alice.awaitClosed()
            try await bob.awaitClosed()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }
}
