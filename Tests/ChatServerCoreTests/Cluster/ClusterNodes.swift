import ChatServerCore
import ChatTestSupport
import ChatWireTestSupport
import Logging
import NIOPosix
import RESP

/// Nodes of a cluster in this process, each a whole server on its own event loops, sharing a
/// real Redis.
struct ClusterNodes {
    /// The configuration of node `id` of the cluster on `redis`.
    static func configuration(redis: RedisServer, id: String, lease: Duration) throws -> ClusterConfiguration {
        var cluster = ClusterConfiguration(endpoint: try RESPEndpoint(url: redis.url), nodeID: id)
        cluster.lease = lease
        return cluster
    }

    /// Runs `body` with `count` nodes (ids node0, node1, ...), then shuts them down.
    static func with<T>(
        _ count: Int, redis: RedisServer, lease: Duration = .seconds(10), _ body: ([ChatServer]) async throws -> T
    ) async throws -> T {
        func nest(_ index: Int, _ started: [ChatServer]) async throws -> T {
            guard index < count else { return try await body(started) }
            let cluster = try Self.configuration(redis: redis, id: "node\(index)", lease: lease)
            return try await withServer(cluster: cluster) { server in try await nest(index + 1, started + [server]) }
        }
        return try await nest(0, [])
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
            configuration.cluster = try ClusterNodes.configuration(redis: redis, id: id, lease: lease)
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            let logger = Logger(label: "test-node") { _ in DiscardingLogHandler() }
            do {
                self.server = try await ChatServer.start(configuration: configuration, group: group, logger: logger)
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
