import ChatClientCore
import ChatWire
import Testing

@Suite("Client: displaying events")
struct EventFormatterTests {
    private func names(_ texts: [String]) throws -> [ChatName] { try texts.map { try ChatName(validating: $0) } }

    @Test("displaying the client list: who is online, how many, who joined and left")
    func displayingTheList() throws {
        let plain = EventFormatter(colored: false)
        let first = ListUpdate(names: try names(["bob", "alice"]), previous: nil)
        #expect(plain.list(first) == "* online (2): alice bob")
        let change = ListUpdate(names: try names(["alice", "carol"]), previous: try names(["alice", "bob"]))
        #expect(change.joined.map(\.text) == ["carol"])
        #expect(change.left.map(\.text) == ["bob"])
        #expect(plain.list(change) == "* online (2): alice carol (joined: carol; left: bob)")
    }

    @Test("messages, broadcasts, Offline and server errors")
    func lines() throws {
        let plain = EventFormatter(colored: false)
        let bob = try ChatName(validating: "bob")
        #expect(plain.lines(for: .message(from: bob, text: "hi", broadcast: false)).map(\.1) == ["bob: hi"])
        #expect(plain.lines(for: .message(from: bob, text: "hi", broadcast: true)).map(\.1) == ["bob (to ALL): hi"])
        #expect(plain.lines(for: .offline(bob)).map(\.1) == ["* bob is not online"])
        let error = plain.lines(for: .serverError("nope"))
        #expect(error.first?.0 == .error)
        #expect(error.first?.1 == "! server error: nope")
    }

    @Test("text from the network cannot drive the terminal: control characters become '?'")
    func sanitised() throws {
        let bob = try ChatName(validating: "bob")
        let line = EventFormatter(colored: true).lines(
            for: .message(from: bob, text: "\u{1B}[2Jgotcha\u{7}\r", broadcast: false))
        #expect(line.first?.1.hasSuffix(": ?[2Jgotcha??") == true)
    }

    @Test("a server's text in its own words: shown as the server's, verbatim, control characters replaced")
    func serverText() {
        let lines = EventFormatter(colored: false).lines(for: .serverText("Online clients: a, b\u{1B}[2J\u{85}"))
        #expect(lines.map(\.0) == [.output])
        #expect(lines.map(\.1) == ["* server: Online clients: a, b?[2J?"])
        #expect(
            EventFormatter(colored: false).lines(for: .intervalAnnounced(.milliseconds(1500))).map(\.1) == [
                "* the server announced a heartbeat interval: sending Alive every 1.5s"
            ])
    }

    @Test("each name keeps one colour; colours are off when not asked for")
    func colours() throws {
        let colored = EventFormatter(colored: true)
        let alice = try ChatName(validating: "alice")
        #expect(colored.name(alice) == colored.name(alice))
        #expect(colored.name(alice).hasPrefix("\u{1B}["))
        #expect(EventFormatter(colored: false).name(alice) == "alice")
    }
}
