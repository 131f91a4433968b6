public import ChatWire
import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a connection closes: the first reason wins, and it is what the log, the observer and
/// (where the client is told) the `Error` frame say.
public enum CloseReason: Equatable, Sendable, CustomStringConvertible {
    /// The client said `Quit`.
    case quit
    /// The stream broke a frame rule (docs/PROTOCOL.md, "Malformed frames").
    case malformed(FrameError)
    /// The first frame was not an acceptable `Connect` (the text says why).
    case badConnect(String)
    /// A transport's message broke its framing rule (a WebSocket message that is not one
    /// binary frame): the text says why.
    case badMessage(String)
    /// Presence refused the id.
    case refused(Refusal)
    /// Nothing was heard for the alive timeout.
    case retired(Duration)
    /// More than the pending-bytes limit waited for the client.
    case slowConsumer(limit: Int)
    /// The server is shutting down.
    case shutdown
    /// Turned away as it opened, by a limit (`TurnAway` says which).
    case turnedAway(TurnAway)
    /// No `Connect` within the connect timeout.
    case noConnect(Duration)
    /// This node of a cluster lost the backbone for longer than its lease: it can no longer
    /// prove that its clients' ids are theirs (docs/CLUSTER.md).
    case clusterUnavailable
    /// The client closed the connection (or it reset) without `Quit`.
    case closedByPeer
    /// A socket error, in a few words.
    case failed(String)

    /// Why presence refuses an id.
    public enum Refusal: Equatable, Sendable {
        /// Another connection holds the id.
        case nameTaken(ChatName)
        /// The server is full (its capacity).
        case full(Int)
        /// Presence could not decide (say, the cluster's backbone is unreachable): the text.
        case unavailable(String)
        /// With `--users`: a wrong or missing password, or an unknown id (one answer for all).
        case authenticationFailed
        /// With `--users`: too many failed logins from this address lately.
        case tooManyFailedLogins
        /// With `--tls-client-ca`: the id is not a name of the client's certificate.
        case notYourCertificate(ChatName)
        /// With `--tls-client-ca`: the connection has no client certificate (it is not TLS).
        case certificateRequired
        /// The id is one the protocol keeps for itself (`-SERVER-`, `ALL`).
        case reservedName(ChatName)
        /// The id in `Connect <id>` is not a valid name (the text says why).
        case badName(String)
    }

    /// The text of the `Error` frame the client is sent before the close; `nil` when it is
    /// closed without one (it left, went silent, or cannot take more bytes).
    public var errorText: String? {
        switch self {
        case .malformed(let error): error.description
        case .badConnect(let text), .badMessage(let text): text
        case .refused, .shutdown, .clusterUnavailable, .turnedAway, .noConnect: self.description
        case .quit, .retired, .slowConsumer, .closedByPeer, .failed: nil
        }
    }

    /// The reason in words for a person (logs).
    public var description: String {
        switch self {
        case .quit: "quit"
        case .malformed(let error): error.description
        case .badConnect(let text), .badMessage(let text): text
        case .refused(.nameTaken(let id)): "the id '\(id)' is already online"
        case .refused(.full(let capacity)): "the server is full (\(capacity) clients)"
        case .refused(.unavailable(let text)): text
        case .refused(.authenticationFailed): "authentication failed"
        case .refused(.tooManyFailedLogins): "too many failed logins"
        case .refused(.notYourCertificate(let id)): "the id '\(id)' is not a name of your certificate"
        case .refused(.certificateRequired): "a client certificate is required: connect with TLS"
        case .refused(.reservedName(let id)): "'\(id)' is a reserved name"
        case .refused(.badName(let text)): text
        case .retired(let timeout): "retired: silent for \(timeout)"
        case .slowConsumer(let limit): "slow consumer: over \(limit) bytes pending"
        case .shutdown: "server shutting down"
        case .turnedAway(let limit): limit.description
        case .noConnect(let timeout): "no Connect within \(HeartbeatInterval.format(timeout)) s"
        case .clusterUnavailable: CloseReason.clusterUnavailableText
        case .closedByPeer: "connection closed"
        case .failed(let text): text
        }
    }
}

extension CloseReason {
    /// What a client is told when a node cannot vouch for ids (`Error cluster unavailable`).
    public static let clusterUnavailableText = "cluster unavailable"

    /// A socket error, in a few words (`connection reset by peer`).
    static func failure(_ error: any Error) -> CloseReason {
        if let error = error as? IOError { return .failed(String(cString: strerror(error.errnoCode)).lowercased()) }
        return .failed("\(error)")
    }

    /// Whether the connection closes right after its `Error` is flushed, without waiting for a
    /// client that does not read: a cluster node that lost its lease must not keep a client
    /// whose id Redis may give away. (Shutdown waits for its `Error` to be written, up to the
    /// drain timeout: `ChatServer.shutdown`.)
    var closesAtOnce: Bool {
        switch self {
        case .clusterUnavailable: true
        case .quit, .malformed, .badConnect, .badMessage, .refused, .retired, .slowConsumer, .shutdown, .closedByPeer,
            .failed,
            .turnedAway, .noConnect:
            false
        }
    }

    /// The line the server logs when it closes a connection for this reason (its level, its
    /// message, the metadata key for the reason), or `nil` when the close says enough by itself
    /// (the "client left" line follows for online clients).
    var logLine: (level: Logger.Level, message: String, key: String)? {
        switch self {
        case .malformed, .badMessage: (.info, "malformed input, closing", "error")
        case .badConnect: (.info, "connection refused", "why")
        case .refused: (.info, "connect refused", "why")
        case .retired: (.info, "retiring a silent client", "reason")
        case .slowConsumer: (.warning, "cutting off a slow consumer", "reason")
        case .clusterUnavailable: (.info, "closing: the cluster's backbone is out of reach", "reason")
        case .turnedAway: (.info, "connection turned away", "why")
        case .noConnect: (.info, "closing: no Connect in time", "why")
        case .quit, .shutdown, .closedByPeer, .failed: nil
        }
    }
}
