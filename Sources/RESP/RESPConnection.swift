public import NIOCore
import NIOPosix

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

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects to `endpoint` (within `timeout`), then `AUTH`s and `SELECT`s as it says.
    ///
    /// - Throws: the connect error, or `RESPError.server` with Redis's answer (a bad password).
    public static func connect(
        to endpoint: RESPEndpoint, on loop: any EventLoop, timeout: Duration = .seconds(5),
        onMessage: (@Sendable (RESPMessage) -> Void)? = nil
    ) async throws -> RESPConnection {
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RESPHandler(onMessage: onMessage))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .get()
        let connection = RESPConnection(channel: channel)
        do {
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

    /// Sends one command (its name first); the future completes with the answer.
    public func send(_ arguments: [RESPArgument]) -> EventLoopFuture<RESPValue> {
        var bytes = self.channel.allocator.buffer(capacity: 64)
        RESPEncoder.command(arguments, into: &bytes)
        let answer = self.channel.eventLoop.makePromise(of: RESPValue.self)
        self.channel.writeAndFlush(RESPCommand(bytes: bytes, answer: answer)).whenFailure { error in
            answer.fail(error)
        }
        return answer.futureResult
    }

    /// Closes the connection; commands still waiting fail with `RESPError.connectionClosed`.
    public func close() async {
        try? await self.channel.close()
    }
}
