public import ChatWireTestSupport
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
public import RESP

#if canImport(Glibc)
    import Glibc
#endif

/// A Redis primary, one replica and three sentinels (quorum 2), each a real `redis-server` on a
/// free port, for the cluster's failover tests. `url` is the `redis-sentinel://` URL of the set.
public final class RedisSentinelSet: Sendable {
    /// The name the sentinels monitor the primary under.
    public let masterName = "chat"
    /// The primary at the start.
    public let primary: RedisServer
    /// The replica at the start: the primary after a failover.
    public let replica: RedisServer
    /// The three sentinels.
    public let sentinels: [RedisServer]
    private let folder: URL
    /// Ports of killed servers held until the sentinels stop (`kill`).
    private let reserved = NIOLockedValueBox<[Int32]>([])

    /// Starts them; returns once the replica is in sync and the sentinels know each other's
    /// primary. A sentinel calls the primary down after `downAfter` without an answer.
    public init(downAfter: Duration = .milliseconds(500)) async throws {
        self.folder = FileManager.default.temporaryDirectory.appendingPathComponent("sentinels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        let primary = try await RedisServer(arguments: Self.renaming)
        let replica = try await RedisServer(
            arguments: Self.renaming + ["--replicaof", "127.0.0.1", "\(primary.port)"])
        self.primary = primary
        self.replica = replica
        try await waitUntil("the replica in sync") {
            try await Self.info(replica, "replication").contains("master_link_status:up")
        }
        var sentinels: [RedisServer] = []
        for _ in 0..<3 {
            sentinels.append(
                try await RedisServer.sentinel(
                    monitoring: primary.port, as: self.masterName, replicaPort: replica.port, downAfter: downAfter,
                    folder: self.folder, renamed: Self.renamed))
        }
        self.sentinels = sentinels
        try await self.awaitPrimary(primary)
    }

    /// The commands a sentinel reconfigures a server with, under names only this set's servers
    /// know. A killed primary's port is free for the next test's `redis-server`, and the
    /// sentinels, seeing "the old primary" back, would make that one a replica of theirs (and
    /// drop its clients): another test's Redis would then hold this set's data (seen: a node
    /// counting 4 nodes on its own Redis). Renamed, their commands fail there and change nothing.
    static let renamed = ["SLAVEOF": "SET255-SLAVEOF", "CONFIG": "SET255-CONFIG"]

    /// The `redis-server` arguments that rename them.
    static let renaming = renamed.sorted { $0.key < $1.key }.flatMap { ["--rename-command", $0.key, $0.value] }

    /// `redis-sentinel://` with the three sentinels and the primary's name.
    public var url: String {
        "redis-sentinel://" + self.sentinels.map { "127.0.0.1:\($0.port)" }.joined(separator: ",")
            + "/\(self.masterName)"
    }

    /// Waits until every sentinel names `server` as the primary, and it says it is one.
    public func awaitPrimary(_ server: RedisServer, timeout: Duration = Patience.guardTime) async throws {
        try await waitUntil("the sentinels naming port \(server.port) the primary", timeout: timeout) {
            for sentinel in self.sentinels {
                let answer = try await Self.ask(
                    sentinel, ["SENTINEL", "get-master-addr-by-name", .text(self.masterName)])
                guard answer.elements?.last?.text == "\(server.port)" else { return false }
            }
            return try await Self.ask(server, ["ROLE"]).elements?.first?.text == "master"
        }
    }

    /// `command`'s answer from `server`, on a connection of its own.
    public static func ask(_ server: RedisServer, _ command: [RESPArgument]) async throws -> RESPValue {
        let connection = try await RESPConnection.connect(
            to: RESPEndpoint(host: "127.0.0.1", port: server.port), on: MultiThreadedEventLoopGroup.singleton.next(),
            timeout: .seconds(5))
        defer { Task { await connection.close() } }
        return try await connection.send(command).get()
    }

    /// `INFO section` of `server`.
    public static func info(_ server: RedisServer, _ section: String) async throws -> String {
        try await Self.ask(server, ["INFO", .text(section)]).text ?? ""
    }

    /// Cuts the replica off the primary, as a network would: the primary wants a password from
    /// now on (connections made before keep theirs) and drops its replica, which cannot come
    /// back. What is written to the primary from then on is lost in a failover.
    public func cutReplica() async throws {
        let connection = try await RESPConnection.connect(
            to: RESPEndpoint(host: "127.0.0.1", port: self.primary.port),
            on: MultiThreadedEventLoopGroup.singleton.next(), timeout: .seconds(5))
        defer { Task { await connection.close() } }
        _ = try await connection.send([.text(Self.renamed["CONFIG"] ?? "CONFIG"), "SET", "requirepass", "cut-off"])
            .get()
        _ = try await connection.send(["CLIENT", "KILL", "TYPE", "replica"]).get()
        try await waitUntil("the replica cut off") {
            try await Self.info(self.replica, "replication").contains("master_link_status:down")
        }
    }

    /// Kills `server` (SIGKILL) and holds its port until `stop`: the sentinels still know it,
    /// and must not find another test's Redis there.
    public func kill(_ server: RedisServer) {
        server.stop()
        if let fd = PortHolds.reserve(port: server.port) { self.reserved.withLockedValue { $0.append(fd) } }
    }

    /// Stops every process and removes the sentinels' files.
    public func stop() {
        for server in self.sentinels + [self.primary, self.replica] { server.stop() }
        for fd in self.reserved.withLockedValue({ held in
            defer { held = [] }; return held
        }) { close(fd) }
        try? FileManager.default.removeItem(at: self.folder)
    }

    deinit { self.stop() }
}
