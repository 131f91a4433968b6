public import ChatSystem
import NIOConcurrencyHelpers
public import NIOCore

/// A connection to Redis that comes back by itself: it connects, and whenever the connection is
/// lost (or cannot be made) it tries again after `Backoff`'s waits (100 ms doubling up to 2 s by default), until stopped. The owner
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

    private let target: RESPTarget
    private let tls: RESPTransport?
    private let loop: any EventLoop
    private let retry: Backoff
    private let state = NIOLockedValueBox(State())

    /// A client of `target` (over `tls` for `rediss://`) on `loop`. Nothing happens until
    /// `start`. Behind sentinels, each connect asks them for the primary anew.
    public init(
        target: RESPTarget, tls: RESPTransport? = nil, loop: any EventLoop,
        retry: Backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
    ) {
        self.target = target
        self.tls = tls
        self.loop = loop
        self.retry = retry
    }

    /// Whether a connection is up now.
    public var isConnected: Bool { self.state.withLockedValue { $0.connection != nil } }

    /// The server the current connection goes to, if one is up.
    public var connectedEndpoint: RESPEndpoint? { self.state.withLockedValue { $0.connection?.endpoint } }

    /// Starts connecting (once): `onMessage` hears published messages (on the loop), `onEvent`
    /// each connect and loss, in order (the next connect waits until it returns).
    public func start(
        onMessage: (@Sendable (RESPMessage) -> Void)? = nil, onEvent: @escaping @Sendable (Event) async -> Void
    ) {
        self.state.withLockedValue { state in
            guard state.task == nil, !state.stopped else { return }
            state.task = Task { await self.run(onMessage: onMessage, onEvent: onEvent) }
        }
    }

    /// Sends a command on the current connection; fails at once with
    /// `RESPError.connectionClosed` when there is none. A `READONLY` answer means the server
    /// is a replica now (demoted in a failover): the connection is dropped, so that the next one
    /// goes to the primary.
    public func send(_ arguments: [RESPArgument]) -> EventLoopFuture<RESPValue> {
        guard let connection = self.state.withLockedValue({ $0.connection }) else {
            return self.loop.makeFailedFuture(RESPError.connectionClosed)
        }
        let answer = connection.send(arguments)
        answer.whenFailure { error in
            if case RESPError.server(let text) = error, text.hasPrefix("READONLY") {
                connection.channel.close(promise: nil)
            }
        }
        return answer
    }

    /// Closes the current connection, if any; the client connects again as after any loss (for
    /// a connection that is up but no longer delivers).
    public func dropConnection() {
        self.state.withLockedValue { $0.connection }?.channel.close(promise: nil)
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
    private func run(
        onMessage: (@Sendable (RESPMessage) -> Void)?, onEvent: @Sendable (Event) async -> Void
    ) async {
        var failures = 0
        while !self.isStopped {
            do {
                let connection = try await RESPConnection.connect(
                    to: self.target, tls: self.tls, on: self.loop, onMessage: onMessage)
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
                await onEvent(.connected(connection))
                try? await connection.channel.closeFuture.get()
                self.state.withLockedValue { $0.connection = nil }
                if self.isStopped { return }
                await onEvent(.disconnected(RESPError.connectionClosed.description))
            } catch {
                failures += 1
                if self.isStopped { return }
                await onEvent(.disconnected("\(error)"))
            }
            let wait = self.retry.delay(afterFailures: failures, random: Double.random(in: -1...1))
            try? await Task.sleep(for: wait)
        }
    }
}
