public import ChatWire

/// Something the server told the client, once the session is online.
public enum ChatEvent: Equatable, Sendable {
    /// A chat message; `broadcast` when it was sent to `ALL`.
    case message(from: ChatName, text: String, broadcast: Bool)
    /// The target of one of our messages is not online.
    case offline(ChatName)
    /// The server reported a protocol error (the connection may stay or close after it).
    case serverError(String)
    /// A complete list of online clients arrived.
    case list(ListUpdate)
    /// The server said something in words this client does not parse (another implementation's
    /// greeting, list or notice): its text, verbatim, for the user to read.
    case serverText(String)
    /// A server that admitted us without a heartbeat interval announced one later: `Alive` now
    /// goes at this interval.
    case intervalAnnounced(Duration)
    /// The server sent something this client cannot use (it is skipped).
    case unreadable(String)
    /// The connection ended; no more events follow.
    case disconnected(DisconnectReason)
}

/// A complete online list and how it differs from the previous one.
public struct ListUpdate: Equatable, Sendable {
    /// Everyone online, sorted by byte order.
    public let names: [ChatName]
    /// Online now and not in the previous list (empty for the first list).
    public let joined: [ChatName]
    /// In the previous list and not online now.
    public let left: [ChatName]
    /// Whether this is the first list of the session.
    public let isFirst: Bool

    /// An update from the previous list (`nil` for the first) to `names`.
    public init(names: [ChatName], previous: [ChatName]?) {
        self.names = names.sorted()
        self.isFirst = previous == nil
        let before = Set(previous ?? [])
        let now = Set(names)
        self.joined = previous == nil ? [] : self.names.filter { !before.contains($0) }
        self.left = (previous ?? []).filter { !now.contains($0) }.sorted()
    }
}

/// Why a session ended.
public enum DisconnectReason: Equatable, Sendable, CustomStringConvertible {
    /// We quit or closed.
    case closedByUs
    /// The server closed the connection.
    case closedByServer
    /// The server sent bytes that are not frames.
    case malformed(String)
    /// A network error.
    case failed(String)
    /// The server closed the connection right after `List changes` (before answering it, and
    /// after 2 s before any other frame): it does not take the word. `chatclient` connects
    /// again, once, without it.
    case closedAfterChangeRequest

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .closedByUs: "closed"
        case .closedByServer: "the server closed the connection"
        case .malformed(let why): "the server sent malformed data (\(why))"
        case .failed(let why): "the connection failed (\(why))"
        case .closedAfterChangeRequest: "the server closed the connection when asked for change events ('List changes')"
        }
    }
}
