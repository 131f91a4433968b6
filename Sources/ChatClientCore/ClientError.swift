/// Why a session could not start or a message could not be sent.
public enum ClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection to the server (the reason).
    case cannotConnect(String)
    /// The server refused Connect: `Error <text>`, or a refusal in other words (the text).
    case refused(String)
    /// No `Connected` within the time allowed.
    case noAnswer
    /// The first frame did not come from `-SERVER-` (what it said).
    case unexpectedAnswer(String)
    /// The connection ended before the server answered Connect (the first reason).
    case endedBeforeAnswer(DisconnectReason)
    /// The connection is closed.
    case notConnected
    /// The password cannot go into a `Connect` (why).
    case badPassword(String)

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .cannotConnect(let why): "cannot reach the server: \(why)"
        case .refused(let why): "the server refused the connection: \(why)"
        case .noAnswer: "the server did not answer Connect within 5 seconds"
        case .unexpectedAnswer(let what): "the first frame did not come from -SERVER-: '\(what)'"
        case .endedBeforeAnswer(let reason): "no answer to Connect: \(reason)"
        case .notConnected: "not connected"
        case .badPassword(let why): why
        }
    }
}
