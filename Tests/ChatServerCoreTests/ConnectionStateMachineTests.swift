import ChatWire
import NIOCore
import Testing

@testable import ChatServerCore

/// The protocol rules without any channel: every event, and the time given by hand.
@Suite("Server: connection state machine")
struct ConnectionStateMachineTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    private let timeout = TimeAmount.seconds(15)

    private func frame(_ destination: String, _ source: String, _ body: String) throws -> Frame {
        try Frame(destination: ChatName(validating: destination), source: ChatName(validating: source), text: body)
    }

    private func fresh() -> ConnectionStateMachine {
        ConnectionStateMachine(openedAt: self.start)
    }

    private func online(_ name: String) throws -> ConnectionStateMachine {
        var machine = self.fresh()
        let id = try ChatName(validating: name)
        #expect(machine.received(try frame("-SERVER-", name, "Connect \(name)")) == .admit(id, password: nil))
        #expect(machine.admissionAnswered(.admitted) == .welcome(id, intervalOnly: false))
        return machine
    }

    @Test("Connect <id> from id to -SERVER- asks presence; anything else first closes with the reason")
    func firstFrame() throws {
        var machine = self.fresh()
        #expect(
            machine.received(try frame("-SERVER-", "bob", "Connect bob"))
                == .admit(try ChatName(validating: "bob"), password: nil))
        #expect(machine.replyAddress.text == "bob")
        // Each refusal says what was wrong with this very frame.
        for (destination, source, body, why) in [
            ("bob", "alice", "hi", "addressed to -SERVER-, not a message to 'bob'"),
            ("ALL", "alice", "Connect alice", "addressed to -SERVER-, not a message to 'ALL'"),
            ("-SERVER-", "alice", "List", "the first frame must be 'Connect <id>', not 'List'"),
            ("-SERVER-", "alice", "Alive", "the first frame must be 'Connect <id>', not 'Alive'"),
            ("-SERVER-", "alice", "Hello", "the first frame must be 'Connect <id>': unknown command 'Hello'"),
            ("-SERVER-", "alice", "Connect bob", "the id in 'Connect bob' differs from the frame's source 'alice'"),
        ] {
            var fresh = self.fresh()
            guard case .close(.badConnect(let text)) = fresh.received(try frame(destination, source, body)) else {
                Issue.record("\(body) from \(source) to \(destination) was not refused")
                continue
            }
            #expect(text.contains(why), "\(body) from \(source) to \(destination): \(text)")
            #expect(fresh.state == .closing(.badConnect(text), left: false))
            #expect(fresh.replyAddress.text == source, "the Error goes to the frame's source")
            #expect(fresh.received(try frame("-SERVER-", "alice", "Connect alice")) == .none)
        }
        // An id that is not a valid name is refused as a bad name, with what was wrong.
        for body in ["Connect ", "Connect bäd", "Connect toolongname"] {
            var fresh = self.fresh()
            guard case .close(.refused(.badName(let text))) = fresh.received(try frame("-SERVER-", "alice", body))
            else {
                Issue.record("'\(body)' was not refused as a bad name")
                continue
            }
            #expect(text.hasPrefix("the first frame must be 'Connect <id>': bad argument to 'Connect'"), "\(text)")
        }
        // A reserved id is refused as such (the metrics count it as a bad name).
        let all = try ChatName(validating: "ALL")
        for body in ["Connect ALL", "Connect"] {
            var fresh = self.fresh()
            #expect(fresh.received(try frame("-SERVER-", "ALL", body)) == .close(.refused(.reservedName(all))))
        }
        #expect(CloseReason.refused(.reservedName(all)).errorText == "'ALL' is a reserved name")
    }

    @Test("Connect, Alive and Quit with no argument take the id from SRC; the rest of the rules are unchanged")
    func argumentlessWords() throws {
        var machine = self.fresh()
        let ann = try ChatName(validating: "ann")
        #expect(machine.received(try frame("-SERVER-", "ann", "Connect")) == .admit(ann, password: nil))
        #expect(
            machine.admissionAnswered(.admitted) == .welcome(ann, intervalOnly: true),
            "a bare Connect is answered with the interval alone")
        #expect(machine.received(try frame("-SERVER-", "ann", "Alive")) == .none)
        #expect(machine.received(try frame("-SERVER-", "ann", "Connect")) == .reject("already connected as 'ann'"))
        #expect(machine.received(try frame("-SERVER-", "ann", "List")) == .sendList)
        guard case .reject = machine.received(try frame("-SERVER-", "bob", "Alive")) else {
            Issue.record("an argument-less Alive from another source was not rejected")
            return
        }
        #expect(machine.received(try frame("-SERVER-", "ann", "Quit")) == .leaveAndClose(.quit))
    }

    @Test("online: chat, broadcast, List, Alive and Quit map to their actions")
    func onlineActions() throws {
        var machine = try online("alice")
        let chat = try frame("bob", "alice", "hi")
        #expect(machine.received(chat) == .forward)
        let broadcast = try frame("ALL", "alice", "hi all")
        #expect(machine.received(broadcast) == .broadcast)
        #expect(machine.received(try frame("-SERVER-", "alice", "List")) == .sendList)
        #expect(machine.received(try frame("-SERVER-", "alice", "Alive alice")) == .none)
        #expect(
            machine.received(try frame("-SERVER-", "alice", "Quit alice")) == .leaveAndClose(.quit),
            "de-listed as the close starts, not when the transport has closed")
        #expect(machine.state == .closing(.quit, left: true))
        #expect(machine.received(chat) == .none)
        #expect(machine.closed() == .none, "it left already")
        #expect(machine.closed() == .none)
    }

    @Test(
        "online: a wrong source, a second Connect, an unknown word, Alive/Quit for someone else are rejected, not closed"
    )
    func onlineRejections() throws {
        var machine = try online("alice")
        for (destination, source, body) in [
            ("bob", "mallory", "hi"), ("-SERVER-", "alice", "Connect alice"), ("-SERVER-", "alice", "Hello"),
            ("-SERVER-", "alice", "Alive bob"), ("-SERVER-", "alice", "Quit bob"), ("-SERVER-", "alice", "List x"),
        ] {
            guard case .reject = machine.received(try frame(destination, source, body)) else {
                Issue.record("\(body) was not rejected")
                continue
            }
            #expect(machine.state == .online(try ChatName(validating: "alice")))
        }
    }

    @Test("a refusal by presence closes with its reason")
    func refusal() throws {
        var machine = self.fresh()
        let bob = try ChatName(validating: "bob")
        _ = machine.received(try frame("-SERVER-", "bob", "Connect bob"))
        #expect(machine.admissionAnswered(.refused(.nameTaken(bob))) == .close(.refused(.nameTaken(bob))))
        #expect(CloseReason.refused(.nameTaken(bob)).errorText == "the id 'bob' is already online")
        #expect(machine.closed() == .leave(.refused(.nameTaken(bob))))
    }

    @Test("while presence decides, frames are held; an admission for a connection closed meanwhile is released")
    func asynchronousAdmission() throws {
        var machine = self.fresh()
        _ = machine.received(try frame("-SERVER-", "bob", "Connect bob"))
        #expect(machine.received(try frame("alice", "bob", "early")) == .hold)
        #expect(machine.received(try frame("-SERVER-", "bob", "List")) == .hold)
        #expect(machine.admissionAnswered(.admitted) == .welcome(try ChatName(validating: "bob"), intervalOnly: false))
        #expect(machine.received(try frame("alice", "bob", "early")) == .forward)

        var closing = self.fresh()
        _ = closing.received(try frame("-SERVER-", "bob", "Connect bob"))
        #expect(closing.closed() == .leave(.closedByPeer))
        #expect(closing.admissionAnswered(.admitted) == .release)
        #expect(closing.admissionAnswered(.refused(.full(1))) == .none)
    }

    @Test("life: a frame in a burst moves the deadline; silence for the timeout retires; before Connect, with an Error")
    func life() throws {
        var machine = self.fresh()
        #expect(machine.lastHeard == self.start)
        #expect(
            machine.lifeTimerFired(at: self.start + .seconds(14), timeout: self.timeout, connectTimeout: .seconds(60))
                == .checkLifeAgain(at: self.start + self.timeout))
        #expect(
            machine.lifeTimerFired(at: self.start + self.timeout, timeout: self.timeout, connectTimeout: .seconds(60))
                == .close(.noConnect(.seconds(15))), "the alive timeout was the shorter one")

        var alive = try online("alice")
        alive.burstEnded(at: self.start + .seconds(10))  // the Connect's burst
        #expect(
            alive.lifeTimerFired(at: self.start + .seconds(15), timeout: self.timeout, connectTimeout: .seconds(60))
                == .checkLifeAgain(at: self.start + .seconds(25)))
        _ = alive.received(try frame("-SERVER-", "alice", "Alive alice"))
        alive.burstEnded(at: self.start + .seconds(20))
        alive.burstEnded(at: self.start + .seconds(30))  // a burst without a frame is no sign of life
        #expect(
            alive.lifeTimerFired(at: self.start + .seconds(34), timeout: self.timeout, connectTimeout: .seconds(60))
                == .checkLifeAgain(at: self.start + .seconds(35)))
        #expect(
            alive.lifeTimerFired(at: self.start + .seconds(35), timeout: self.timeout, connectTimeout: .seconds(60))
                == .leaveAndClose(.retired(.seconds(15)))
        )
        #expect(
            alive.lifeTimerFired(at: self.start + .seconds(60), timeout: self.timeout, connectTimeout: .seconds(60))
                == .closeNow,
            "still open: closed at once")
        #expect(alive.closed() == .none, "it left as the close started")
        #expect(
            alive.lifeTimerFired(at: self.start + .seconds(90), timeout: self.timeout, connectTimeout: .seconds(60))
                == .none)
    }

    @Test(
        "connect timeout: no Connect within it closes with its own reason; once online, only the alive timeout counts")
    func connectTimeout() throws {
        var machine = self.fresh()
        #expect(machine.lifeTimeout(self.timeout, .seconds(10)) == .seconds(10))
        #expect(
            machine.lifeTimerFired(at: self.start + .seconds(9), timeout: self.timeout, connectTimeout: .seconds(10))
                == .checkLifeAgain(at: self.start + .seconds(10)))
        #expect(
            machine.lifeTimerFired(at: self.start + .seconds(10), timeout: self.timeout, connectTimeout: .seconds(10))
                == .close(.noConnect(.seconds(10))))
        #expect(CloseReason.noConnect(.seconds(10)).errorText == "no Connect within 10 s")
        var alive = try online("alice")
        #expect(alive.lifeTimeout(self.timeout, .seconds(10)) == self.timeout)
        #expect(
            alive.lifeTimerFired(at: self.start + .seconds(12), timeout: self.timeout, connectTimeout: .seconds(10))
                == .checkLifeAgain(at: self.start + self.timeout))
    }

    @Test("slow consumers, malformed input, socket errors, shutdown and the end of the stream: each a reason")
    func otherEvents() throws {
        var slow = try online("alice")
        #expect(slow.writabilityLost(limit: 4096) == .leaveAndClose(.slowConsumer(limit: 4096)))
        #expect(slow.writabilityLost(limit: 4096) == .none)
        #expect(slow.malformed(.missingTerminator) == .none, "the first reason stands")

        var notYet = self.fresh()
        #expect(notYet.writabilityLost(limit: 4096) == .none, "only online clients are cut")

        var malformed = try online("alice")
        #expect(malformed.malformed(.tooShort(3)) == .leaveAndClose(.malformed(.tooShort(3))))
        #expect(CloseReason.malformed(.tooShort(3)).errorText == FrameError.tooShort(3).description)

        var failing = try online("alice")
        #expect(
            failing.failed(.failed("connection reset by peer")) == .leaveAndClose(.failed("connection reset by peer")))
        #expect(CloseReason.failed("x").errorText == nil)

        var shutdown = self.fresh()
        #expect(shutdown.shutdown() == .close(.shutdown), "before Connect too")
        var onlineShutdown = try online("alice")
        #expect(onlineShutdown.shutdown() == .leaveAndClose(.shutdown), "online: de-listed at once")
        #expect(shutdown.shutdown() == .closeNow)
        #expect(CloseReason.shutdown.errorText == "server shutting down")

        var peer = try online("alice")
        #expect(peer.closed() == .leave(.closedByPeer))
        #expect(peer.shutdown() == .none)
    }
}
