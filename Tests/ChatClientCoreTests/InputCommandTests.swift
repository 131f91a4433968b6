import ChatClientCore
import ChatWire
import Testing

@Suite("Client: what the user types")
struct InputCommandTests {
    private func name(_ text: String) throws -> ChatName { try ChatName(validating: text) }

    @Test("(name) text: one space after ')' separates, the rest is the text as typed")
    func messages() throws {
        #expect(InputCommand.parse("(bob) hello") == .message(to: try name("bob"), text: "hello"))
        #expect(InputCommand.parse("(bob)hello") == .message(to: try name("bob"), text: "hello"))
        #expect(InputCommand.parse("(bob)  two spaces") == .message(to: try name("bob"), text: " two spaces"))
        #expect(InputCommand.parse("(ALL) hi all") == .message(to: .all, text: "hi all"))
        #expect(InputCommand.parse("(bob) (nested) :) ok") == .message(to: try name("bob"), text: "(nested) :) ok"))
    }

    @Test("@List, @Quit, @Help in any case; blank lines are nothing")
    func commands() {
        #expect(InputCommand.parse("@List") == .list)
        #expect(InputCommand.parse("@list") == .list)
        #expect(InputCommand.parse("  @QUIT ") == .quit)
        #expect(InputCommand.parse("@help") == .help)
        #expect(InputCommand.parse("") == .empty)
        #expect(InputCommand.parse("   ") == .empty)
    }

    @Test(
        "anything else is a hint, and nothing is sent",
        arguments: [
            "hello", "@Lst", "(bob", "() hi", "(a b) hi", "(123456789) hi", "(bob)", "(bob)   ", "(-SERVER-) List",
            "(bob) a\0b", " (bob) leading space",
        ])
    func invalid(line: String) {
        guard case .invalid(let hint) = InputCommand.parse(line) else {
            Issue.record("'\(line)' was accepted")
            return
        }
        #expect(!hint.isEmpty)
    }
}

@Suite("Client: line splitting of piped input")
struct LineSplitterTests {
    @Test("lines end at \\n, a \\r before it is dropped, a last line without newline counts")
    func split() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Array("a\nb\r\nc".utf8)) == ["a", "b"])
        #expect(splitter.feed(Array("d\n\n".utf8)) == ["cd", ""])
        #expect(splitter.feed(Array("tail".utf8)) == [])
        #expect(splitter.finish() == "tail")
        #expect(splitter.finish() == nil)
    }
}
