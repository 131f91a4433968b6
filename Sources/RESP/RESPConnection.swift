import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix

/// What goes in front of a connection's RESP handler to reach a `rediss://` server: TLS, set up
/// by the caller (this module has no TLS of its own), for the channel and the host connected to.
/// It completes `ready` once its handshake did, or fails it with the reason it did not (nothing
/// is sent before, so that a failed handshake is reported as such, not as a closed channel).
public typealias RESPTransport =
    @Sendable (_ channel: any Channel, _ host: String, _ ready: EventLoopPromise<Void>) throws -> Void

/// One connection to a Redis server, on one event loop.
///
/// Commands pipeline: `send` writes at once and its future completes with the answer, answers
/// coming in the order asked. A connection that subscribes (`SUBSCRIBE`, one channel per
/// command, so that each acknowledgement answers its command) hands every published message to
/// `onMessage`, on its loop. An error reply fails the command's future with `RESPError.server`;
/// bytes that are not RESP close the connection and fail every command waiting.
public final class RESPConnection: Sendable {
    /// The socket's channel (its loop runs `onMessage` and completes the futures).
    public let channel: any Channel
    /// The server connected to (for a `RESPTarget.sentinel`, the primary named then).
    public let endpoint: RESPEndpoint
    /// What closed the connection, if an error did (a TLS alert after the handshake, bad bytes).
    private let closedBy: NIOLockedValueBox<(any Error)?>

    private init(channel: any Channel, endpoint: RESPEndpoint, closedBy: NIOLockedValueBox<(any Error)?>) {
        self.channel = channel
        self.endpoint = endpoint
        self.closedBy = closedBy
    }

    /// Connects to `endpoint` (within `timeout`; through `tls` for `rediss://`), then `AUTH`s
    /// and `SELECT`s as it says.
    ///
    /// - Throws: the connect error, the TLS handshake's, `RESPError.tlsNotConfigured` for a
    ///   `rediss://` endpoint without `tls`, or `RESPError.server` with Redis's answer (a bad
    ///   password).
    public static func connect(
        to endpoint: RESPEndpoint, tls: RESPTransport? = nil, on loop: any EventLoop,
        timeout: Duration = .seconds(5), onMessage: (@Sendable (RESPMessage) -> Void)? = nil
    ) async throws -> RESPConnection {
        guard !endpoint.usesTLS || tls != nil else { throw RESPError.tlsNotConfigured }
        let ready = loop.makePromise(of: Void.self)
        let closedBy = NIOLockedValueBox<(any Error)?>(nil)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(TimeAmount(timeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if endpoint.usesTLS, let tls { try tls(channel, endpoint.host, ready) } else { ready.succeed() }
                        try channel.pipeline.syncOperations.addHandler(
                            RESPHandler(onMessage: onMessage, closedBy: closedBy))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
                .get()
        } catch {
            ready.fail(error)
            throw error
        }
        let connection = RESPConnection(channel: channel, endpoint: endpoint, closedBy: closedBy)
        // The transport's handshake within what is left of `timeout`: a server that never
        // answers it (a plain Redis waiting for a line) must not hold the connect forever.
        let handshakeGuard = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { channel.close(promise: nil) }
        defer { handshakeGuard.cancel() }
        do {
            try await ready.futureResult.get()
            if let password = endpoint.password {
                let user: [RESPArgument] = endpoint.user.map { [.text($0)] } ?? []
                _ = try await connection.send(["AUTH"] + user + [.text(password)]).get()
            }
            if endpoint.database != 0 {
                _ = try await connection.send(["SELECT", .text(String(endpoint.database))]).get()
            }
        } catch {
            try? await channel.close()
            throw error
        }
        return connection
    }

    /// Sends one command (its name first); the future completes with the answer, or fails with
    /// the error that closed the connection (a TLS 1.3 server refuses a client certificate only
    /// after the handshake, so the first command is where that shows).
    public func send(_ arguments: [RESPArgument]) -> EventLoopFuture<RESPValue> {
        var bytes = self.channel.allocator.buffer(capacity: 64)
        RESPEncoder.command(arguments, into: &bytes)
        let answer = self.channel.eventLoop.makePromise(of: RESPValue.self)
        self.channel.writeAndFlush(RESPCommand(bytes: bytes, answer: answer)).whenFailure { [closedBy] error in
            answer.fail(closedBy.withLockedValue { $0 } ?? error)
        }
        return answer.futureResult
    }

    /// Closes the connection; commands still waiting fail with `RESPError.connectionClosed`.
    public func close() async {
        try? await self.channel.close()
    }
}
