public import NIOCore

/// The client's side of the protocol as a plain value, shared by `chatclient` and `chatbench`:
/// what to send first, how often to send `Alive`, and what each frame from the server means
/// (with lists reassembled from their parts). No I/O: the handlers send what it says and run
/// the heartbeat timer at the cadence it gives.
public struct ClientProtocol: Sendable {
    /// Where the session stands.
    public enum State: Equatable, Sendable {
        /// `Connect` sent; waiting for `Connected`.
        case connecting
        /// Registered; `Alive` every `heartbeat`.
        case online(heartbeat: Duration)
        /// The server refused or answered nonsense: the connection must close.
        case closed
    }

    /// What a frame from the server means.
    public enum Incoming: Equatable, Sendable {
        /// The server admitted us: send `Alive` every `heartbeat` from now on. `interval` is
        /// the one it announced (`nil`: none, so `heartbeat` is `defaultInterval`); `greeting`,
        /// the server's own words when it answered with something other than `Connected`.
        /// Comes a second time, once, when a server that admitted us without an interval
        /// announces one later (`Connected <n>` or a bare number).
        case connected(interval: Duration?, heartbeat: Duration, greeting: String?)
        /// The server refused the Connect with `Error <text>`: close.
        case refused(String)
        /// The first frame did not come from `-SERVER-` (the frame's body as text): close.
        case unexpectedAnswer(String)
        /// A chat message (`body`: a slice of the frame); `broadcast` when it was sent to `ALL`.
        case message(from: ChatName, body: ByteBuffer, broadcast: Bool)
        /// A complete online list (`bytes`: the wire size of all its part frames).
        case list([ChatName], bytes: Int)
        /// A set of changes to the list (change events): who joined, who left, how many are now
        /// online (`bytes`: the wire size of its part frames).
        case listChanged(joined: [ChatName], left: [ChatName], online: Int, bytes: Int)
        /// The changes did not follow the list held (why): send `listFrame` to get the whole
        /// list again (then call `askedForFullList()`).
        case askFullList(String)
        /// The server does not know `List changes` (its `Error` text): full lists keep coming.
        case changesUnsupported(String)
        /// A list part that does not complete a list (yet).
        case listPart
        /// `Offline <name>`: the target of one of our messages is not online.
        case offline(ChatName)
        /// `Error <text>` once online.
        case serverError(String)
        /// A frame from `-SERVER-` in words this client does not parse (another implementation's
        /// list or notice): its body, verbatim, for the user to read.
        case serverText(String)
        /// Something from the server this client cannot use (why, in words).
        case unreadable(String)
    }

    /// The client's id.
    public let id: ChatName
    /// Where the session stands.
    public private(set) var state = State.connecting
    /// Whether the server announced its interval (otherwise the heartbeat is the default, and
    /// an interval announced later is taken).
    private var intervalAnnounced = false
    private var lists = ListReassembler()
    private var listBytes = 0
    /// Change events: asked for or not, and the list they keep.
    public private(set) var changes: ChangeFeed

    /// A session for `id`, not yet connected; with `keepsNames` false, change events only count
    /// who is online (`ChangeFeed.keepsNames`).
    /// `password` goes into `Connect` (for a server with accounts).
    public init(id: ChatName, keepsNames: Bool = true, password: [UInt8]? = nil) {
        self.id = id
        self.changes = ChangeFeed(keepsNames: keepsNames)
        self.password = password
    }

    /// The password sent in `Connect`, if any.
    private let password: [UInt8]?

    /// The longest password that fits a `Connect` for `id` (239 bytes less `Connect <id> `).
    public static func maxPasswordLength(for id: ChatName) -> Int {
        Wire.maxBodyLength - "Connect ".utf8.count - id.text.utf8.count - 1
    }

    /// What is wrong with `password` for `id`'s `Connect` (empty, a NUL, too long), or `nil`.
    public static func passwordProblem(_ password: [UInt8], for id: ChatName) -> String? {
        if password.isEmpty { return "the password is empty" }
        if password.contains(0) { return "the password contains a NUL byte" }
        let limit = Self.maxPasswordLength(for: id)
        if password.count > limit {
            return "the password is longer than \(limit) bytes (it must fit the Connect frame)"
        }
        return nil
    }

    /// The interval assumed when the server announces none: our server's default, and short
    /// enough for the timeouts other implementations use (tens of seconds).
    public static let defaultInterval = Duration.seconds(5)

    /// The heartbeat for an announced interval: one `Alive` per interval, as docs/PROTOCOL.md
    /// asks (the server retires a client after 3 silent intervals by default).
    public static func heartbeat(for interval: Duration) -> Duration { interval }

    /// The first frame on a connection: `Connect <id>`.
    public var connectFrame: ByteBuffer {
        ClientControl.connect(self.id, password: self.password).frame(from: self.id).wire
    }
    /// The heartbeat frame: `Alive <id>`.
    public var aliveFrame: ByteBuffer { ClientControl.alive(self.id).frame(from: self.id).wire }
    /// The request for the list.
    public var listFrame: ByteBuffer { ClientControl.list.frame(from: self.id).wire }
    /// The request for the list once, then its changes: `List changes`.
    public var changesFrame: ByteBuffer { ClientControl.listChanges.frame(from: self.id).wire }
    /// The goodbye: `Quit <id>`.
    public var quitFrame: ByteBuffer { ClientControl.quit(self.id).frame(from: self.id).wire }

    /// `List changes` was sent: only once `Connect` was answered, as a write of its own. The
    /// assignment's clients send `Connect` and wait; many servers read one `recv()` as one
    /// message, and took both frames in one segment for a bad request or for the id.
    public mutating func requestedChanges() {
        self.changes.requested()
    }

    /// How long after `List changes` the client waits for its answer (an `Online` list or an
    /// `Error`) before it takes the server for one that ignores the word (`changesUnanswered`).
    public static let changesAnswerTime = Duration.seconds(2)

    /// `List changes` got no answer within `changesAnswerTime`: full lists it is, and a later
    /// `Error` is the server's own (an `Online` list that comes later still turns changes on).
    public mutating func changesUnanswered() {
        self.changes.requestIgnored()
    }

    /// The whole list was asked for again after `askFullList`.
    public mutating func askedForFullList() {
        self.changes.askedForFullList()
    }

    /// What a frame from the server means (`body`: its body bytes).
    public mutating func received(_ header: FrameHeader, body: ByteBuffer) -> Incoming {
        switch self.state {
        case .closed:
            return .unreadable("a frame after the session ended")
        case .connecting:
            return self.answerToConnect(header, body: body)
        case .online:
            guard header.source == .server else {
                // A server that swaps DEST and SRC when it forwards sends our own id as SRC and
                // the sender as DEST: the sender is DEST then (docs/PROTOCOL.md, "Compatibility").
                if header.source == self.id, header.destination != self.id, header.destination != .all {
                    return .message(from: header.destination, body: body, broadcast: false)
                }
                return .message(from: header.source, body: body, broadcast: header.destination == .all)
            }
            return self.serverFrame(header, body: body)
        }
    }

    private mutating func answerToConnect(_ header: FrameHeader, body: ByteBuffer) -> Incoming {
        guard header.source == .server else {
            self.state = .closed
            return .unexpectedAnswer(String(buffer: body))
        }
        let interval: Duration?
        var greeting: String?
        switch ConnectReply.parse(body) {
        case .refused(let text):
            self.state = .closed
            return .refused(text)
        case .connected(let announced):
            interval = announced
        case .other(let text):
            interval = nil
            greeting = text
        }
        let heartbeat = Self.heartbeat(for: interval ?? Self.defaultInterval)
        self.state = .online(heartbeat: heartbeat)
        self.intervalAnnounced = interval != nil
        return .connected(interval: interval, heartbeat: heartbeat, greeting: greeting)
    }

    private mutating func serverFrame(_ header: FrameHeader, body: ByteBuffer) -> Incoming {
        let control: ServerControl
        do {
            control = try ServerControl.parse(body)
        } catch {
            self.changes.requestIgnored()
            if case .connected(let interval?) = ConnectReply.parse(body), let late = self.lateInterval(interval) {
                return late
            }
            return .serverText(String(buffer: body))
        }
        switch control {
        case .error, .online: break
        // A full list may come before the answer (the push that holds the newcomer): only an
        // answer, an `Online` list or an `Error`, ends the wait; other control words mean the
        // server went on without reading `List changes` as we do.
        case .list: break
        case .offline, .connected, .changed: self.changes.requestIgnored()
        }
        switch control {
        case .list(let part):
            self.listBytes += header.length
            do {
                guard let names = try self.lists.add(part) else { return .listPart }
                defer { self.listBytes = 0 }
                return .list(names, bytes: self.listBytes)
            } catch {
                self.listBytes = part.index == 1 ? header.length : 0
                return .unreadable("\(error)")
            }
        case .offline(let name):
            return .offline(name)
        case .error(let text):
            return self.changes.errorAnswersRequest() ? .changesUnsupported(text) : .serverError(text)
        case .connected(let interval):
            return self.lateInterval(interval) ?? .unreadable("a second 'Connected'")
        case .online(let part):
            self.listBytes += header.length
            return self.incoming(self.changes.received(part))
        case .changed(let part):
            self.listBytes += header.length
            return self.incoming(self.changes.received(part))
        }
    }

    /// What change events' outcome means to the client.
    private mutating func incoming(_ outcome: ChangeFeed.Outcome) -> Incoming {
        switch outcome {
        case .pending:
            return .listPart
        case .ignored:
            self.listBytes = 0
            return .listPart
        case .list(let names):
            defer { self.listBytes = 0 }
            return .list(names, bytes: self.listBytes)
        case .changed(let joined, let left, let online):
            defer { self.listBytes = 0 }
            return .listChanged(joined: joined, left: left, online: online, bytes: self.listBytes)
        case .askFullList(let why):
            self.listBytes = 0
            return .askFullList(why)
        }
    }

    /// A server that admitted us without an interval (a banner first, say) and announces one
    /// now: the heartbeat follows it. Once an interval was announced, a second is ignored.
    private mutating func lateInterval(_ interval: Duration) -> Incoming? {
        guard !self.intervalAnnounced else { return nil }
        self.intervalAnnounced = true
        let heartbeat = Self.heartbeat(for: interval)
        self.state = .online(heartbeat: heartbeat)
        return .connected(interval: interval, heartbeat: heartbeat, greeting: nil)
    }
}
