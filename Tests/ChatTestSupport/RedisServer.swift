public import ChatServerCore
import ChatWireTestSupport
public import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import RESP

#if canImport(Glibc)
    import Glibc
#endif

/// A real `redis-server` (Debian's) on a free port for a test, stopped by its PID. A machine
/// without it fails the test with a clear message: CI installs it (.ci/run), nothing skips.
public final class RedisServer: Sendable {
    /// Its port.
    public let port: Int
    /// Whether it speaks TLS only, on `port` (`tls(clientCertificates:)`).
    public let usesTLS: Bool
    private let process: Process
    /// Its working folder (`--dir`), removed when it stops.
    private let folder: URL

    /// The `redis-server` binary, or a failure that says how to get it.
    public static func binary() throws -> String {
        for path in ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw TestFailure("redis-server is not installed: apt-get install redis-server (.ci/run does)")
    }

    /// Starts one with no persistence (`--save '' --appendonly no`), plus `arguments`, on `port`
    /// (a free one unless given: a restart takes the port of the one before); returns once it
    /// answers `PING`.
    public convenience init(port: Int? = nil, arguments: [String] = []) async throws {
        try await self.init(port: port, arguments: arguments, tls: nil)
    }

    /// Starts one that speaks TLS only (`--tls-port`, no plain port) with the test server
    /// certificate (for localhost and 127.0.0.1, from the test CA), asking clients for a
    /// certificate from the test CA when `clientCertificates`.
    public static func tls(clientCertificates: Bool) async throws -> RedisServer {
        try await RedisServer(port: nil, arguments: [], tls: clientCertificates)
    }

    private convenience init(port: Int?, arguments: [String], tls clientCertificates: Bool?) async throws {
        // Redis cannot pick a port itself: take a free one from the kernel, then give it to Redis.
        let port = try port ?? PortHolds.freePort()
        let listen: [String] =
            if let clientCertificates {
                [
                    "--port", "0", "--tls-port", "\(port)", "--tls-cert-file", TLSFixtures.path("server.pem"),
                    "--tls-key-file", TLSFixtures.path("server.key"), "--tls-ca-cert-file", TLSFixtures.path("ca.pem"),
                    "--tls-auth-clients", clientCertificates ? "yes" : "no",
                ]
            } else {
                ["--port", "\(port)"]
            }
        try await self.init(
            port: port,
            commandLine: listen + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]
                + arguments,
            usesTLS: clientCertificates != nil)
    }

    /// A sentinel on a free port monitoring the primary on `primaryPort` as `masterName` (quorum
    /// 2, down after `downAfter`), told of the replica on `replicaPort` if any (a sentinel learns of
    /// replicas from the primary only every 10 s); its configuration file goes in `folder`.
    /// `renamed` maps commands to the names the monitored servers know them by
    /// (`sentinel rename-command`).
    public static func sentinel(
        monitoring primaryPort: Int, as masterName: String, replicaPort: Int?, downAfter: Duration, folder: URL,
        renamed: [String: String] = [:]
    ) async throws -> RedisServer {
        let port = try PortHolds.freePort()
        let milliseconds =
            downAfter.components.seconds * 1000 + downAfter.components.attoseconds / 1_000_000_000_000_000
        let file = folder.appendingPathComponent("sentinel-\(port).conf")
        try """
        port \(port)
        bind 127.0.0.1
        sentinel monitor \(masterName) 127.0.0.1 \(primaryPort) 2
        sentinel down-after-milliseconds \(masterName) \(milliseconds)
        sentinel failover-timeout \(masterName) \(milliseconds * 4)
        \(replicaPort.map { "sentinel known-replica \(masterName) 127.0.0.1 \($0)" } ?? "")
        \(renamed.sorted { $0.key < $1.key }.map { "sentinel rename-command \(masterName) \($0.key) \($0.value)" }.joined(separator: "\n"))

        """.write(to: file, atomically: true, encoding: .utf8)
        return try await RedisServer(port: port, commandLine: [file.path, "--sentinel"], usesTLS: false)
    }

    /// A free port, held for a Redis to be started on it later (`RedisServer(port:)`).
    public static func holdFreePort() throws -> Int { try PortHolds.holdFreePort() }

    private init(port: Int, commandLine: [String], usesTLS: Bool) async throws {
        // A held port (`stop(holdingPort:)`, `holdFreePort`) is let go once this one answers there.
        defer { PortHolds.release(port) }
        let binary = try Self.binary()
        self.port = port
        self.usesTLS = usesTLS
        // A folder of its own, removed when it stops: a replica writes the primary's data there
        // at a full sync (dump.rdb), and a Redis loads a dump.rdb it finds where it starts. In
        // the test process's folder, one test's data was loaded by the next test's Redis.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.folder = folder
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.currentDirectoryURL = folder
        process.arguments = commandLine + (commandLine.contains("--sentinel") ? [] : ["--dir", folder.path])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let endpoint = try RESPEndpoint(url: self.url)
        let tls = try self.usesTLS ? Self.clientTLS().transport : nil
        try await waitUntil("redis-server answering on port \(self.port)") {
            guard
                let connection = try? await RESPConnection.connect(
                    to: endpoint, tls: tls, on: MultiThreadedEventLoopGroup.singleton.next(), timeout: .seconds(10))
            else { return false }
            defer { Task { await connection.close() } }
            do {
                _ = try await connection.send(["PING"]).get()
                return true
            } catch RESPError.server {
                return true  // NOAUTH: it answers, it only wants a password
            } catch {
                return false
            }
        }
    }

    /// The URL of this server (`rediss://` when it speaks TLS).
    public var url: String { (self.usesTLS ? "rediss" : "redis") + "://127.0.0.1:\(self.port)" }

    /// TLS as the test CA's client alice (what a server with `--tls-auth-clients yes` accepts).
    public static func clientTLS() throws -> ClusterTLS {
        try ClusterTLS(
            caFile: TLSFixtures.path("ca.pem"), certificateFile: TLSFixtures.path("alice.pem"),
            keyFile: TLSFixtures.path("alice.key"))
    }

    /// Stops it (SIGKILL to its PID) and waits until Foundation has seen it exit. The child is
    /// Foundation's to reap: reaping it here as well (`waitpid`) crashed libdispatch's process
    /// monitor once. `Process.waitUntilExit` is not used: it runs a run loop, which hangs a
    /// Swift concurrency thread on Linux.
    /// Stops it, and holds its port for the Redis a test starts there again.
    public func stop(holdingPort: Bool) {
        self.stop()
        if holdingPort { PortHolds.hold(self.port) }
    }

    public func stop() {
        defer { try? FileManager.default.removeItem(at: self.folder) }
        guard self.process.isRunning else { return }
        // SIGKILL: nothing is persisted, and the test process may hand its children a signal
        // mask that blocks SIGTERM (seen: a SIGTERM'd Redis lived on).
        kill(self.process.processIdentifier, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(10)
        while self.process.isRunning, ContinuousClock.now < deadline { usleep(1_000) }
    }

    deinit { self.stop() }

    /// Stops it with SIGSTOP (a frozen process: connections stay open, nothing answers).
    public func freeze() { kill(self.process.processIdentifier, SIGSTOP) }

    /// Wakes it after `freeze`.
    public func thaw() { kill(self.process.processIdentifier, SIGCONT) }
}
