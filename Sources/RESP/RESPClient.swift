import NIOConcurrencyHelpers
public import NIOCore

/// A connection to Redis that comes back by itself: it connects, and whenever the connection is
/// lost (or cannot be made) it tries again after `RESPRetry`'s waits, until stopped. The owner
/// hears each change (`Event`) and does what a new connection needs (subscribe again, register
/// again). Commands sent while there is no connection fail at once, never wait.
public final class RESPClient: Sendable {
    /// What happened to the connection.
    public enum Event: Sendable {
        /// Connected (again): the connection, for what must be done on it first.
        case connected(RESPConnection)
        /// The connection was lost, or an attempt failed (why).
        case disconnected(String)
    }

    private struct State {
        var connection: RESPConnection?
        var task: Task<Void, Never>?
        var stopped = false
    }

    private let endpoint: RESPEndpoint
    private let loop: any EventLoop
    private let retry: RESPRetry
    private let onMessage: (@Sendable (RESPMessage) -> Void)?
    private let onEvent: @Sendable (Event) async -> Void
    private let state = NIOLockedValueBox(State())

    /// A client of `endpoint` on `loop`; `onMessage` hears published messages, `onEvent` each
    /// connect and loss. Nothing happens until `start()`.
    public init(
        endpoint: RESPEndpoint, loop: any EventLoop, retry: RESPRetry = RESPRetry(),
        onMessage: (@Sendable (RESPMessage) -> Void)? = nil, onEvent: @escaping @Sendable (Event) async -> Void
    ) {
        self.endpoint = endpoint
        self.loop = loop
        self.retry = retry
        self.onMessage = onMessage
        self.onEvent = onEvent
    }

    /// Whether a connection is up now.
    public var isConnected: Bool { self.state.withLockedValue { $0.connection != nil } }

    /// Starts connecting (once).
    public func start() {
        self.state.withLockedValue { state in
            guard state.task == nil, !state.stopped else { return }
            state.task = Task { await self.run() }
        }
    }

    /// Sends a command on the current connection; fails at once with
    /// `RESPError.connectionClosed` when there is none.
    public func send(_ arguments: [RESPArgument]) -> EventLoopFuture<RESPValue> {
        guard let connection = self.state.withLockedValue({ $0.connection }) else {
            return self.loop.makeFailedFuture(RESPError.connectionClosed)
        }
        return connection.send(arguments)
    }

    /// Stops: closes the connection and tries no more.
    public func stop() async {
        let (connection, task) = self.state.withLockedValue { state in
            state.stopped = true
            return (state.connection, state.task)
        }
        task?.cancel()
        await connection?.close()
        await task?.value
    }

    private var isStopped: Bool { self.state.withLockedValue { $0.stopped } }

    /// Connects, waits for the connection to close, and again, with waits after failures.
    private func run() async {
        var failures = 0
        while !self.isStopped {
            do {
                let connection = try await RESPConnection.connect(
                    to: self.endpoint, on: self.loop, onMessage: self.onMessage)
                failures = 0
                let keep = self.state.withLockedValue { state in
                    guard !state.stopped else { return false }
                    state.connection = connection
                    return true
                }
                guard keep else {
                    await connection.close()
                    return
                }
                await self.onEvent(.connected(connection))
                try? await connection.channel.closeFuture.get()
                self.state.withLockedValue { $0.connection = nil }
                if self.isStopped { return }
                await self.onEvent(.disconnected(RESPError.connectionClosed.description))
            } catch {
                failures += 1
                if self.isStopped { return }
                await self.onEvent(.disconnected("\(error)"))
            }
            let wait = self.retry.delay(afterFailures: failures, random: Double.random(in: -1...1))
            try? await Task.sleep(for: wait)
        }
    }
}
