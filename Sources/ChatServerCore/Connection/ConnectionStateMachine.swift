import ChatWire
import NIOCore

/// The protocol rules for one connection, as a plain value: every event in (a frame, the end
/// of a read burst, the life timer, presence's answer, writability, an error, shutdown, the end
/// of the stream), one action out. No I/O, no registry and no clock of its own (the time comes
/// with the events), so every rule is tested without a channel and without waiting.
struct ConnectionStateMachine {
    /// Where the connection stands.
    enum State: Equatable {
        /// Connected at TCP level; the first frame must be `Connect <id>`.
        case awaitingConnect
        /// `Connect` passed the rules; presence is deciding. `bare`: the body was `Connect`
        /// alone, answered in kind (`Action.welcome`).
        case admitting(ChatName, bare: Bool)
        /// Online as the client `id`.
        case online(ChatName)
        /// Closing for this reason: further frames are ignored. `left`: the client was online
        /// and has left presence already (at the close's start, not at its end).
        case closing(CloseReason, left: Bool)
        /// The connection has closed.
        case closed
    }

    /// What the handler must do.
    enum Action: Equatable {
        /// Nothing (a heartbeat, a frame on a closing connection...).
        case none
        /// Forward the frame, unchanged, to its destination (or answer `Offline`).
        case forward
        /// Forward the frame, unchanged, to every other online client.
        case broadcast
        /// Send the requester the list.
        case sendList
        /// Send the requester the list once, then only its changes (`List changes`).
        case sendChanges
        /// Ask presence to admit this id (with the password the Connect carried, checked first
        /// when the server has accounts); the answer comes back through `admissionAnswered`.
        case admit(ChatName, password: [UInt8]?)
        /// Presence is still deciding: keep this frame and every later one, in order, until it
        /// answers (then feed them again).
        case hold
        /// Answer `Error <text>`; the connection stays.
        case reject(String)
        /// The client is online: send `Connected <interval>` (after a bare `Connect`,
        /// `intervalOnly`: the interval alone, docs/PROTOCOL.md "Compatibility"), tell everyone.
        case welcome(ChatName, intervalOnly: Bool)
        /// Presence admitted an id for a connection that is closing meanwhile: remove it again.
        case release
        /// Close for this reason: send its `Error` first, if it has one.
        case close(CloseReason)
        /// The online client leaves presence now, then the connection closes for this reason
        /// (its `Error` first). De-listing never waits for the close itself: over TLS that
        /// waits for the peer's close_notify, seconds for a peer that does not answer.
        case leaveAndClose(CloseReason)
        /// Close now, without waiting for pending output (a closing connection outlived the timeout).
        case closeNow
        /// Look at the life timer again at this time.
        case checkLifeAgain(at: NIODeadline)
        /// The connection has closed: remove the client if it is still online (it closed
        /// without the server closing it first); the reason is the first one.
        case leave(CloseReason)
    }

    // Stored in this order to pack tightly (one machine per connection).
    private var liveness: Liveness
    /// Whom to address an `Error` to before the connection has an id: the source of the last
    /// well-formed frame, or `-SERVER-` before any (docs/PROTOCOL.md, "Server to client").
    private(set) var replyAddress = ChatName.server
    private(set) var state: State = .awaitingConnect
    /// A well-formed frame arrived in the current read burst (any frame is a sign of life).
    private var heardInBurst = false

    /// A machine for a connection opened at `now`.
    init(openedAt now: NIODeadline) {
        self.liveness = Liveness(openedAt: now)
    }

    /// When the connection was last heard from (or opened): the life timer's first look is
    /// this plus the timeout.
    var lastHeard: NIODeadline { self.liveness.lastHeard }

    /// Whether the connection is online (chat frames may be forwarded for it).
    var isOnline: Bool {
        if case .online = self.state { return true }
        return false
    }

    // MARK: Events

    /// Decides what a frame means here, from its header; `body` is asked for only when the frame
    /// is a control message, so a chat frame (the hot path) costs no more than its two names.
    mutating func received(_ frame: FrameHeader, body: () -> ByteBuffer) -> Action {
        switch self.state {
        case .online(let name):
            self.heardInBurst = true
            return self.onlineFrame(frame, name: name, body: body)
        case .awaitingConnect:
            self.heardInBurst = true
            self.replyAddress = frame.source
            return self.firstFrame(frame, body: body)
        case .admitting:
            return .hold
        case .closing, .closed:
            return .none
        }
    }

    /// Decides what a decoded frame means here.
    mutating func received(_ frame: Frame) -> Action {
        self.received(FrameHeader(of: frame), body: { frame.body })
    }

    /// A read burst ended at `now`: a well-formed frame in it was a sign of life. The time is
    /// read only then (a clock read per burst is measurable on the hot path).
    mutating func burstEnded(at now: @autoclosure () -> NIODeadline) {
        guard self.heardInBurst else { return }
        self.heardInBurst = false
        self.liveness.heard(at: now())
    }

    /// Presence answered the Connect.
    mutating func admissionAnswered(_ admission: Admission) -> Action {
        guard case .admitting(let name, let bare) = self.state else {
            return admission == .admitted ? .release : .none
        }
        switch admission {
        case .admitted:
            self.state = .online(name)
            self.replyAddress = name
            return .welcome(name, intervalOnly: bare)
        case .refused(let refusal):
            return self.close(.refused(refusal))
        }
    }

    /// The life timer fired at `now`; the connection may stay silent for `timeout`, and take at
    /// most `connectTimeout` to send `Connect`.
    mutating func lifeTimerFired(at now: NIODeadline, timeout: TimeAmount, connectTimeout: TimeAmount) -> Action {
        if case .awaitingConnect = self.state {
            // Before Connect, silence ends with the connect timeout's `Error`, whichever is shorter.
            let limit = min(timeout, connectTimeout)
            if case .expired = self.liveness.check(at: now, timeout: limit) {
                return self.close(.noConnect(Duration(limit)))
            }
        }
        switch (self.state, self.liveness.check(at: now, timeout: self.lifeTimeout(timeout, connectTimeout))) {
        case (.closed, _):
            return .none
        case (_, .alive(let next)):
            return .checkLifeAgain(at: next)
        case (.closing, .expired):
            // Closing, but still open after the timeout (an `Error` a non-reading peer never
            // takes): nothing stays open past it.
            return .closeNow
        case (_, .expired):
            return self.close(.retired(Duration(timeout)))
        }
    }

    /// How long the connection may stay silent now: before `Connect`, no longer than
    /// `connectTimeout` either.
    func lifeTimeout(_ timeout: TimeAmount, _ connectTimeout: TimeAmount) -> TimeAmount {
        if case .awaitingConnect = self.state { return min(timeout, connectTimeout) }
        return timeout
    }

    /// The channel stopped being writable: more than `limit` bytes wait for the client.
    mutating func writabilityLost(limit: Int) -> Action {
        guard self.isOnline else { return .none }
        return self.close(.slowConsumer(limit: limit))
    }

    /// The bytes broke a frame rule.
    mutating func malformed(_ error: FrameError) -> Action {
        self.closeUnlessClosing(.malformed(error))
    }

    /// The socket failed (`reason`: `.failed` with the error in a few words).
    mutating func failed(_ reason: CloseReason) -> Action {
        self.closeUnlessClosing(reason)
    }

    /// The server must close this connection for `reason` (the cluster became unavailable).
    mutating func mustClose(_ reason: CloseReason) -> Action {
        self.closeUnlessClosing(reason)
    }

    /// The server is shutting down: every connection is told and closed, registered or not.
    mutating func shutdown() -> Action {
        switch self.state {
        case .closing: .closeNow
        case .closed: .none
        case .awaitingConnect, .admitting, .online: self.close(.shutdown)
        }
    }

    /// The connection has closed; whatever the state, this is the last event.
    mutating func closed() -> Action {
        let reason: CloseReason
        switch self.state {
        case .closing(_, left: true):
            self.state = .closed
            return .none
        case .closing(let first, left: false): reason = first
        case .closed: return .none
        case .awaitingConnect, .admitting, .online: reason = .closedByPeer
        }
        self.state = .closed
        return .leave(reason)
    }

    // MARK: Rules

    private mutating func firstFrame(_ frame: FrameHeader, body: () -> ByteBuffer) -> Action {
        // Each refusal says what was wrong with this frame, not only what was expected.
        guard frame.destination == .server else {
            return self.close(
                .badConnect(
                    "the first frame must be 'Connect <id>' addressed to -SERVER-, not a message to '\(frame.destination)'"
                ))
        }
        let control: ClientControl
        do {
            control = try ClientControl.parse(body(), from: frame.source)
        } catch {
            let text = "the first frame must be 'Connect <id>': \(error)"
            // A well-formed Connect whose id is not a valid name is refused, like a reserved one.
            if case .invalidArgument(command: "Connect", _) = error { return self.close(.refused(.badName(text))) }
            return self.close(.badConnect(text))
        }
        guard case .connect(let id, let password) = control else {
            return self.close(.badConnect("the first frame must be 'Connect <id>', not '\(control.command)'"))
        }
        guard id == frame.source else {
            return self.close(
                .badConnect("the id in 'Connect \(id)' differs from the frame's source '\(frame.source)'"))
        }
        guard !id.isReserved else { return self.close(.refused(.reservedName(id))) }
        self.state = .admitting(id, bare: body().readableBytesView.elementsEqual("Connect".utf8))
        return .admit(id, password: password)
    }

    private mutating func onlineFrame(_ frame: FrameHeader, name: ChatName, body: () -> ByteBuffer) -> Action {
        guard frame.source == name else {
            return .reject("frame dropped: its source '\(frame.source)' is not your id '\(name)'")
        }
        switch frame.destination {
        case .all:
            return .broadcast
        case .server:
            break
        default:
            return .forward
        }
        let control: ClientControl
        do {
            control = try ClientControl.parse(body(), from: name)
        } catch {
            return .reject(error.description)
        }
        switch control {
        case .connect:
            return .reject("already connected as '\(name)'")
        case .alive(let id):
            return id == name ? .none : .reject("'Alive \(id)' does not name your id '\(name)'")
        case .list:
            return .sendList
        case .listChanges:
            return .sendChanges
        case .quit(let id):
            guard id == name else { return .reject("'Quit \(id)' does not name your id '\(name)'") }
            return self.close(.quit)
        }
    }

    private mutating func closeUnlessClosing(_ reason: CloseReason) -> Action {
        switch self.state {
        case .closing, .closed: .none
        case .awaitingConnect, .admitting, .online: self.close(reason)
        }
    }

    private mutating func close(_ reason: CloseReason) -> Action {
        let online = self.isOnline
        self.state = .closing(reason, left: online)
        return online ? .leaveAndClose(reason) : .close(reason)
    }
}
