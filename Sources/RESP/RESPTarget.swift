public import NIOCore

/// Where the Redis to use is: one server (`redis://`, `rediss://`), or the primary that
/// sentinels name (`redis-sentinel://`), asked again at every connect so that a client follows
/// a failover.
public enum RESPTarget: Equatable, Sendable, CustomStringConvertible {
    /// One server.
    case server(RESPEndpoint)
    /// The primary the sentinels name.
    case sentinel(RESPSentinels)

    /// Parses `url` by its scheme; the error says what is wrong with it.
    public init(url: String) throws(RESPEndpointError) {
        if url.hasPrefix("redis-sentinel://") {
            self = .sentinel(try RESPSentinels(url: url))
        } else if url.hasPrefix("redis://") || url.hasPrefix("rediss://") {
            self = .server(try RESPEndpoint(url: url))
        } else {
            throw .invalid("'\(url)' does not start with redis://, rediss:// (TLS) or redis-sentinel://")
        }
    }

    /// Whether connections speak TLS (`rediss://`).
    public var usesTLS: Bool {
        switch self {
        case .server(let endpoint): endpoint.usesTLS
        case .sentinel: false
        }
    }

    /// The URL with the password hidden, for logs.
    public var description: String {
        switch self {
        case .server(let endpoint): endpoint.description
        case .sentinel(let sentinels): sentinels.description
        }
    }
}

extension RESPConnection {
    /// Connects to `target`: the server, or the primary the sentinels name now, checked to be a
    /// primary (`ROLE`: a demoted one, or one not yet promoted, is refused). Each step within
    /// `timeout`.
    ///
    /// - Throws: as `connect(to: RESPEndpoint…)`, and `RESPError.noSentinel`,
    ///   `.unknownPrimary` or `.notPrimary` for a `.sentinel` target.
    public static func connect(
        to target: RESPTarget, tls: RESPTransport? = nil, on loop: any EventLoop, timeout: Duration = .seconds(5),
        onMessage: (@Sendable (RESPMessage) -> Void)? = nil
    ) async throws -> RESPConnection {
        switch target {
        case .server(let endpoint):
            return try await Self.connect(to: endpoint, tls: tls, on: loop, timeout: timeout, onMessage: onMessage)
        case .sentinel(let sentinels):
            let primary = try await sentinels.primary(on: loop, timeout: timeout)
            let connection = try await Self.connect(to: primary, on: loop, timeout: timeout, onMessage: onMessage)
            let guardTask = loop.scheduleTask(in: TimeAmount(timeout)) { connection.channel.close(promise: nil) }
            defer { guardTask.cancel() }
            do {
                let role = try await connection.send(["ROLE"]).get().elements?.first?.text ?? "?"
                guard role == "master" else { throw RESPError.notPrimary(role) }
            } catch {
                await connection.close()
                throw error
            }
            return connection
        }
    }
}
