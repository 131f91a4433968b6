public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle
import UnixSignals

/// The server as a `Service`: owns the event-loop group, starts the server, reloads its files on
/// SIGHUP, and on graceful shutdown (SIGINT/SIGTERM through a `ServiceGroup`) tells the clients
/// and closes everything.
public struct ChatServerService: Service {
    private let configuration: ServerConfiguration
    private let logger: Logger
    private let onStart: @Sendable (ChatServer) -> Void
    private let onHangup: @Sendable (ChatServer) async -> Void

    /// - Parameters:
    ///   - onStart: called once the server listens (for tests and tools that need the port).
    ///   - onHangup: called at each SIGHUP with the running server, before it reads its files
    ///     again (the configuration file, read again by the command that has it, which puts
    ///     the limits that changed in force with `ChatServer.apply`).
    public init(
        configuration: ServerConfiguration, logger: Logger,
        onStart: @escaping @Sendable (ChatServer) -> Void = { _ in },
        onHangup: @escaping @Sendable (ChatServer) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.onStart = onStart
        self.onHangup = onHangup
    }

    /// Runs the server until graceful shutdown (SIGINT/SIGTERM through the group) or cancellation.
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.configuration.threads)
        // SIGHUP is trapped before anything starts: one that comes early must not end the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        do {
            let server = try await ChatServer.start(
                configuration: self.configuration, group: group, logger: self.logger)
            self.onStart(server)
            // SIGHUP: the files given at start are read again (a bad one is logged, the old stays).
            let reloads = Task {
                for await _ in hangups {
                    await self.onHangup(server)
                    server.reload()
                }
            }
            // Returns on graceful shutdown; throws on cancellation, which ends the same way.
            try? await gracefulShutdown()
            reloads.cancel()
            await server.shutdown()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }
}
