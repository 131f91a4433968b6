import ChatServerCore
import ChatTestSupport
import ChatWireTestSupport
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import RESP

/// Nodes of a cluster in this process, each a whole server on its own event loops, sharing a
/// real Redis.
struct ClusterNodes {
    /// The configuration of node `id` of the cluster on `redis`.
    static func configuration(redis: RedisServer, id: String, lease: Duration) throws -> ClusterConfiguration {
        var cluster = ClusterConfiguration(endpoint: try RESPTarget(url: redis.url), nodeID: id)
        cluster.lease = lease
        return cluster
    }

    /// Runs `body` with `count` nodes (ids node0, node1, ...), then shuts them down.
    static func with<T>(
        _ count: Int, redis: RedisServer, lease: Duration = Patience.scaled(.seconds(10)),
        _ body: ([ChatServer]) async throws -> T
    ) async throws -> T {
        func nest(_ index: Int, _ started: [ChatServer]) async throws -> T {
            guard index < count else { return try await body(started) }
            let cluster = try Self.configuration(redis: redis, id: "node\(index)", lease: lease)
            return try await withServer(cluster: cluster) { server in try await nest(index + 1, started + [server]) }
        }
        return try await nest(0, [])
    }

    /// alice online at `alicePort`, bob at `bobPort`, once alice's list holds both.
    static func aliceAndBob(alicePort: Int, bobPort: Int) async throws -> (alice: TestClient, bob: TestClient) {
        try await TestClient.aliceAndBob(port: alicePort, bobPort: bobPort)
    }

    /// Connects as `name` until a Connect is admitted (a node refuses while it cannot vouch for
    /// ids: Redis out of reach, or the grace after Redis lost its data); the client, online.
    static func admitted(_ name: String, port: Int) async throws -> TestClient {
        let admitted = NIOLockedValueBox<TestClient?>(nil)
        try await waitUntil("a Connect as \(name) admitted") {
            guard let client = try? await TestClient.online(name, port: port) else { return false }
            admitted.withLockedValue { $0 = client }
            return true
        }
        guard let client = admitted.withLockedValue({ $0 }) else { throw TestFailure("no client") }
        return client
    }

    /// A node that the test stops itself (`stop`).
    final class Node: Sendable {
        let server: ChatServer
        private let group: MultiThreadedEventLoopGroup

        init(redis: RedisServer, id: String, lease: Duration, port: Int = 0) async throws {
            var configuration = ServerConfiguration()
            configuration.port = port
            configuration.threads = 2
            configuration.aliveTimeout = Patience.aliveTimeout
            configuration.flood = Patience.floodLimits
            configuration.cluster = try ClusterNodes.configuration(redis: redis, id: id, lease: lease)
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            let logger = Logger(label: "test-node") { _ in DiscardingLogHandler() }
            do {
                self.server = try await ChatServer.start(configuration: configuration, group: group, logger: logger)
                try await self.server.awaitRegistration()
            } catch {
                try? await group.shutdownGracefully()
                throw error
            }
            self.group = group
        }

        var port: Int { self.server.port }

        /// Shuts the node down gracefully (its clients told, its ids released).
        func stop() async {
            await self.server.shutdown()
            try? await self.group.shutdownGracefully()
        }
    }
}
