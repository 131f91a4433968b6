import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

@Suite("Control messages")
struct ControlTests {
    private func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    /// The sender the bodies come from (it matters only to argument-less words).
    private let sender = ChatName.all

    @Test(
        "client control bodies parse and print back",
        arguments: ["Connect alice", "Alive bob", "List", "Quit 12345678"])
    func clientRoundTrip(text: String) throws {
        let control = try ClientControl.parse(body(text), from: sender)
        #expect(control.body == text)
    }

    @Test(
        "Connect, Alive and Quit with no argument name the frame's source; what we print names the id",
        arguments: ["Connect", "Alive", "Quit", "List"])
    func argumentless(word: String) throws {
        let ann = try ChatName(validating: "ann")
        let control = try ClientControl.parse(body(word), from: ann)
        let expected: [String: ClientControl] = [
            "Connect": .connect(ann), "Alive": .alive(ann), "Quit": .quit(ann), "List": .list,
        ]
        #expect(control == expected[word])
        #expect(control.command == word)
        #expect(control.body == (word == "List" ? "List" : "\(word) ann"))
    }

    @Test("@List and @Quit, the user's words as typed, are List and Quit; other @ words are unknown")
    func typedWords() throws {
        let ann = try ChatName(validating: "ann")
        #expect(try ClientControl.parse(body("@List"), from: ann) == .list)
        #expect(try ClientControl.parse(body("@Quit"), from: ann) == .quit(ann))
        #expect(try ClientControl.parse(body("@Quit bob"), from: ann) == .quit(try ChatName(validating: "bob")))
        #expect(throws: ControlError.unexpectedArgument(command: "List")) {
            try ClientControl.parse(body("@List all"), from: ann)
        }
        #expect(throws: ControlError.unknownCommand("@Alive")) { try ClientControl.parse(body("@Alive"), from: ann) }
        #expect(throws: ControlError.unknownCommand("@list")) { try ClientControl.parse(body("@list"), from: ann) }
    }

    @Test("the answer to a bare Connect: the interval alone, right-padded to 8 characters")
    func paddedInterval() {
        #expect(HeartbeatInterval.padded(.seconds(5)) == "5       ")
        #expect(HeartbeatInterval.padded(.milliseconds(250)) == "0.25    ")
        #expect(HeartbeatInterval.padded(.seconds(86_400)) == "86400   ")
        #expect(HeartbeatInterval.padded(.nanoseconds(1_000_000_001)) == "1.000000001", "longer: not cut")
    }

    @Test("client control errors are typed, not crashes")
    func clientErrors() {
        #expect(throws: ControlError.unknownCommand("Hello")) {
            try ClientControl.parse(body("Hello there"), from: sender)
        }
        #expect(throws: ControlError.unknownCommand("connect")) {
            try ClientControl.parse(body("connect bob"), from: sender)
        }
        #expect(throws: ControlError.unknownCommand("")) { try ClientControl.parse(body(""), from: sender) }
        #expect(throws: ControlError.unexpectedArgument(command: "List")) {
            try ClientControl.parse(body("List all"), from: sender)
        }
        #expect(throws: (any Error).self) { try ClientControl.parse(body("Connect "), from: sender) }
        #expect(throws: (any Error).self) { try ClientControl.parse(body("Alive a b"), from: sender) }
        #expect(throws: (any Error).self) { try ClientControl.parse(body("Quit 123456789"), from: sender) }
    }

    @Test("a client control frame goes to -SERVER- from the client")
    func clientFrame() throws {
        let alice = try ChatName(validating: "alice")
        let frame = ClientControl.connect(alice).frame(from: alice)
        #expect(frame.destination == .server)
        #expect(frame.source == alice)
        #expect(Array(frame.wire.readableBytesView) == wireFrame("-SERVER-", "alice", "Connect alice"))
    }

    @Test("Connected carries the interval in decimal seconds")
    func connected() throws {
        #expect(ServerControl.connected(interval: .seconds(5)).body == "Connected 5")
        #expect(ServerControl.connected(interval: .milliseconds(250)).body == "Connected 0.25")
        #expect(ServerControl.connected(interval: .milliseconds(1500)).body == "Connected 1.5")
        #expect(try ServerControl.parse(body("Connected 0.25")) == .connected(interval: .milliseconds(250)))
        #expect(try ServerControl.parse(body("Connected 5")) == .connected(interval: .seconds(5)))
        for bad in [
            "Connected 0", "Connected -1", "Connected x", "Connected 1.", "Connected .5", "Connected 1e3",
            "Connected 999999",
        ] {
            #expect(throws: (any Error).self, "\(bad)") { try ServerControl.parse(body(bad)) }
        }
    }

    @Test("Offline, Error and List parse; an unknown word is its own case")
    func serverBodies() throws {
        #expect(try ServerControl.parse(body("Offline bob")) == .offline(ChatName(validating: "bob")))
        #expect(try ServerControl.parse(body("Error name taken")) == .error("name taken"))
        let part = try ServerControl.parse(body("List 2/3 alice bob"))
        #expect(
            try part
                == .list(
                    ListPart(index: 2, count: 3, names: [ChatName(validating: "alice"), ChatName(validating: "bob")])))
        #expect(try ServerControl.parse(body("List 1/1")) == .list(ListPart(index: 1, count: 1, names: [])))
        #expect(throws: ControlError.unknownCommand("Hello")) { try ServerControl.parse(body("Hello")) }
        for bad in [
            "List", "List 0/1", "List 2/1", "List 1/1 ", "List 1/1  bob", "List a/b", "List 1/1 123456789", "Offline",
        ] {
            #expect(throws: (any Error).self, "\(bad)") { try ServerControl.parse(body(bad)) }
        }
    }

    @Test("an Error body is cut to 239 bytes and loses control characters")
    func errorBody() throws {
        let long = ServerControl.error(String(repeating: "é", count: 300)).body
        #expect(long.utf8.count <= 239)
        #expect(long.hasPrefix("Error éé"))
        #expect(ServerControl.error("a\0b\nc").body == "Error a b c")
        let frame = try ServerControl.error("x").frame(to: ChatName(validating: "bob"))
        #expect(Array(frame.wire.readableBytesView) == wireFrame("bob", "-SERVER-", "Error x"))
    }
}
