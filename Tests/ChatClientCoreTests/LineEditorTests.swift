import ChatClientCore
import Testing

@Suite("Client: line editor and key decoding")
struct LineEditorTests {
    private func type(_ text: String, into editor: inout LineEditor) {
        for character in text { _ = editor.handle(.character(character)) }
    }

    @Test("insert, backspace, delete, left, right, home, end")
    func editing() {
        var editor = LineEditor()
        type("helo", into: &editor)
        #expect(editor.handle(.left) == .redraw)
        type("l", into: &editor)
        #expect(editor.line == "hello")
        #expect(editor.cursor == 4)
        _ = editor.handle(.home)
        #expect(editor.handle(.left) == .bell)
        _ = editor.handle(.delete)
        #expect(editor.line == "ello")
        _ = editor.handle(.end)
        _ = editor.handle(.backspace)
        #expect(editor.line == "ell")
        #expect(editor.handle(.right) == .bell)
        #expect(editor.cursor == 3)
    }

    @Test("Ctrl-U deletes to the start, Ctrl-W the word before the cursor")
    func killing() {
        var editor = LineEditor()
        type("(bob) hello there", into: &editor)
        _ = editor.handle(.deleteWordBefore)
        #expect(editor.line == "(bob) hello ")
        _ = editor.handle(.deleteWordBefore)
        #expect(editor.line == "(bob) ")
        _ = editor.handle(.left)
        _ = editor.handle(.killToStart)
        #expect(editor.line == " ")
        #expect(editor.cursor == 0)
    }

    @Test("Enter submits and empties; Up and Down walk the history and back to the draft")
    func history() {
        var editor = LineEditor()
        type("first", into: &editor)
        #expect(editor.handle(.enter) == .submit("first"))
        type("second", into: &editor)
        #expect(editor.handle(.enter) == .submit("second"))
        type("draft", into: &editor)
        _ = editor.handle(.up)
        #expect(editor.line == "second")
        _ = editor.handle(.up)
        #expect(editor.line == "first")
        #expect(editor.handle(.up) == .bell)
        _ = editor.handle(.down)
        _ = editor.handle(.down)
        #expect(editor.line == "draft")
        #expect(editor.handle(.down) == .bell)
    }

    @Test("Tab completes an online id after '(' and closes it; several matches complete their common prefix")
    func completion() {
        let names = ["ALL", "alice", "albert", "bob"]
        var editor = LineEditor()
        type("(b", into: &editor)
        #expect(editor.handle(.tab, names: names) == .redraw)
        #expect(editor.line == "(bob) ")
        editor = LineEditor()
        type("(a", into: &editor)
        _ = editor.handle(.tab, names: names)
        #expect(editor.line == "(al")
        #expect(editor.handle(.tab, names: names) == .bell)
        type("i", into: &editor)
        _ = editor.handle(.tab, names: names)
        #expect(editor.line == "(alice) ")
        editor = LineEditor()
        type("hello", into: &editor)
        #expect(editor.handle(.tab, names: names) == .bell)
    }

    @Test("Tab with the cursor before the '(' completes nothing (a fuzzer find: it used to trap)")
    func completionAtStart() {
        var editor = LineEditor()
        type("(al", into: &editor)
        _ = editor.handle(.home)
        #expect(editor.handle(.tab, names: ["alice"]) == .bell)
        #expect(editor.line == "(al")
    }

    @Test("Ctrl-D ends input only on an empty line; Ctrl-C interrupts")
    func endOfInput() {
        var editor = LineEditor()
        #expect(editor.handle(.endOfInput) == .endOfInput)
        type("ab", into: &editor)
        _ = editor.handle(.home)
        #expect(editor.handle(.endOfInput) == .redraw)
        #expect(editor.line == "b")
        #expect(editor.handle(.interrupt) == .interrupt)
    }

    @Test("keys: control bytes, escape sequences split anywhere, UTF-8 split anywhere")
    func keyDecoding() {
        var decoder = KeyDecoder()
        #expect(
            decoder.feed([0x01, 0x05, 0x15, 0x17, 0x04, 0x03, 0x09, 0x0D, 0x7F]) == [
                .home, .end, .killToStart, .deleteWordBefore, .endOfInput, .interrupt, .tab, .enter, .backspace,
            ])
        #expect(decoder.feed([0x1B]) == [])
        #expect(decoder.feed([UInt8(ascii: "[")]) == [])
        #expect(decoder.feed(Array("A".utf8)) == [.up])
        #expect(
            decoder.feed(Array("\u{1B}[B\u{1B}[C\u{1B}[D\u{1B}[H\u{1B}[F\u{1B}[3~\u{1B}OH\u{1B}[1;5C".utf8)) == [
                .down, .right, .left, .home, .end, .delete, .home, .right,
            ])
        let euro = Array("€".utf8)
        #expect(decoder.feed(euro.prefix(2)) == [])
        #expect(decoder.feed(euro.suffix(1)) == [.character("€")])
        #expect(decoder.feed([0xFF, UInt8(ascii: "a")]) == [.ignored, .character("a")])
    }

    @Test("the input row scrolls sideways to keep the cursor visible")
    func screen() {
        let screen = TerminalScreen(prompt: "me> ", promptWidth: 4)
        var editor = LineEditor()
        type("hello", into: &editor)
        #expect(screen.inputRow(editor, columns: 80) == "\r\u{1B}[2Kme> hello\r\u{1B}[9C")
        type(String(repeating: "x", count: 100), into: &editor)
        let row = screen.inputRow(editor, columns: 40)
        #expect(row.contains(String(repeating: "x", count: 35)))
        #expect(!row.contains("hello"))
        #expect(row.hasSuffix("\u{1B}[39C"))
    }
}
