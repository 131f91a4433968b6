import ChatWire
import NIOCore

/// The protocol rules for one connection, as a plain value: each frame in, one action out.
/// No I/O and no registry here, so every rule is tested without a channel.
struct ConnectionStateMachine {
    /// Where the connection stands.
    enum State: Equatable {
        /// Connected at TCP level; the first frame must be `Connect <id>`.
        case awaitingConnect
        /// `Connect` was accepted by the rules; the registry is being asked.
        case admitting(ChatName)
        /// Online as the client `id`.
        case online(ChatName)
        /// Closing: every further frame is ignored.
        case closed
    }

    /// What the handler must do with a frame.
    enum Action: Equatable {
        /// Ask the registry to admit this id, then call `admitted()` or `refused()`.
        case admit(ChatName)
        /// Forward the frame, unchanged, to its destination (or answer `Offline`).
        case forward
        /// Forward the frame, unchanged, to every other online client.
        case broadcast
        /// Send the requester the list.
        case sendList
        /// Nothing beyond counting the frame as a sign of life (`Alive`).
        case keepAlive
        /// De-list and close: the client said `Quit`.
        case quit
        /// Answer `Error <text>`; the connection stays.
        case reject(String)
        /// Answer `Error <text>` and close.
        case rejectAndClose(String)
        /// Nothing: the connection is closing.
        case ignore
    }

    private(set) var state: State = .awaitingConnect

    /// The connection's id once online (or while being admitted).
    var name: ChatName? {
        switch self.state {
        case .admitting(let name), .online(let name): name
        case .awaitingConnect, .closed: nil
        }
    }

    /// Decides what a frame means here, from its header; `body` is asked for only when the frame
    /// is a control message, so a chat frame (the hot path) costs no more than its two names.
    mutating func received(_ frame: FrameHeader, body: () -> ByteBuffer) -> Action {
        switch self.state {
        case .closed:
            return .ignore
        case .admitting:
            // The registry answers synchronously; frames cannot arrive in between.
            preconditionFailure("a frame arrived while the registry was deciding")
        case .awaitingConnect:
            return self.firstFrame(frame, body: body)
        case .online(let name):
            return self.onlineFrame(frame, name: name, body: body)
        }
    }

    /// Decides what a decoded frame means here.
    mutating func received(_ frame: Frame) -> Action {
        self.received(FrameHeader(of: frame), body: { frame.body })
    }

    private mutating func firstFrame(_ frame: FrameHeader, body: () -> ByteBuffer) -> Action {
        guard frame.destination == .server,
            case .connect(let id)? = try? ClientControl.parse(body())
        else {
            return self.close("the first frame must be 'Connect <id>' addressed to -SERVER-")
        }
        guard id == frame.source else {
            return self.close("the id in 'Connect \(id)' differs from the frame's source '\(frame.source)'")
        }
        guard !id.isReserved else { return self.close("'\(id)' is a reserved name") }
        self.state = .admitting(id)
        return .admit(id)
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
            control = try ClientControl.parse(body())
        } catch {
            return .reject(error.description)
        }
        switch control {
        case .connect:
            return .reject("already connected as '\(name)'")
        case .alive(let id):
            return id == name ? .keepAlive : .reject("'Alive \(id)' does not name your id '\(name)'")
        case .list:
            return .sendList
        case .quit(let id):
            guard id == name else { return .reject("'Quit \(id)' does not name your id '\(name)'") }
            self.state = .closed
            return .quit
        }
    }

    /// The registry admitted the id: the connection is online.
    mutating func admitted() {
        guard case .admitting(let name) = self.state else { preconditionFailure("admitted while \(self.state)") }
        self.state = .online(name)
    }

    /// The registry refused the id; answer with `reason` and close.
    mutating func refused(_ reason: String) -> Action {
        self.close(reason)
    }

    /// The connection is going away (malformed input, timeout, slow consumer, shutdown, EOF).
    mutating func closing() {
        self.state = .closed
    }

    private mutating func close(_ reason: String) -> Action {
        self.state = .closed
        return .rejectAndClose(reason)
    }
}
