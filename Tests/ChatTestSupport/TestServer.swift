public import ChatServerCore
public import ChatWireTestSupport
import Foundation
public import Logging
import NIOPosix

/// Starts a server on an ephemeral port for the duration of `body`, then shuts it down. With a
/// `ManualServerClock`, its timers (the alive timeout, list pushes) run only when the test moves it;
/// with `cluster`, it is a node of that cluster.
public func withServer<T>(
    aliveInterval: Duration = .seconds(5),
    aliveTimeout: Duration? = nil,
    maxClients: Int = 10_000,
    maxPendingBytes: Int = 1 << 20,
    threads: Int = 2,
    logLevel: Logger.Level = .critical,
    clock: any ServerClock = SystemClock(),
    cluster: ClusterConfiguration? = nil,
    flood: FloodLimits? = nil,
    usersFile: String? = nil,
    tls: TLSServerSettings? = nil,
    metrics: Bool = false,
    drainTimeout: Duration = .seconds(10),
    web: WebSettings? = nil,
    awaitRegistration: Bool = true,
    _ body: (ChatServer) async throws -> T
) async throws -> T {
    var configuration = ServerConfiguration()
    configuration.port = 0
    configuration.aliveInterval = aliveInterval
    configuration.aliveTimeout = aliveTimeout ?? max(Patience.aliveTimeout, aliveInterval * 3)
    configuration.maxClients = maxClients
    configuration.maxPendingBytes = maxPendingBytes
    configuration.threads = threads
    configuration.cluster = cluster
    // Unless a test sets limits, a connection may take as long as it likes to send Connect: a
    // machine slowed by ThreadSanitizer must not turn the tests' clients away.
    configuration.flood = flood ?? Patience.floodLimits
    configuration.usersFile = usersFile
    configuration.tls = tls
    configuration.drainTimeout = drainTimeout
    configuration.web = web
    if metrics { configuration.metricsAddress = HostPort(host: "127.0.0.1", port: 0) }
    // Messages are dropped whatever the level: a level below `.critical` only switches on the
    // server's paths that log (per-frame logging at `.debug` takes the frame-by-frame route).
    // CHAT255_TEST_LOGS=1 writes them to standard error instead, to see what a failing test's
    // server did.
    let shown = ProcessInfo.processInfo.environment["CHAT255_TEST_LOGS"] != nil
    var logger = Logger(label: "test-server") { label in
        shown ? StreamLogHandler.standardError(label: label) as any LogHandler : DiscardingLogHandler()
    }
    logger.logLevel = logLevel
    let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    let server = try await ChatServer.start(configuration: configuration, group: group, logger: logger, clock: clock)
    do {
        // A cluster node listens after at most 3 s even if it has not registered yet (a Redis
        // out of reach); on a machine that a full suite keeps busy, registering can take that
        // long. Tests about the cluster's answers start from a registered node unless they say.
        if cluster != nil, awaitRegistration {
            try await server.awaitRegistration()
        }
        let result = try await body(server)
        await server.shutdown()
        try await group.shutdownGracefully()
        return result
    } catch {
        await server.shutdown()
        try? await group.shutdownGracefully()
        throw error
    }
}

extension ChatServer {
    /// Waits until this cluster node is registered with its Redis (its backbone up).
    public func awaitRegistration() async throws {
        try await waitUntil("the node registered with the cluster's Redis") { self.backbone?.up == true }
    }
}

extension Patience {
    /// The flood limits of test servers whose tests are not about them: the defaults, but the
    /// connect timeout as long as the alive timeout.
    public static var floodLimits: FloodLimits {
        var limits = FloodLimits()
        limits.connectTimeout = Patience.aliveTimeout
        return limits
    }
}
