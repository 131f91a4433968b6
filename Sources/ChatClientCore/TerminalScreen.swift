/// Draws the prompt and the line being typed on one terminal row, and prints incoming text
/// above it without disturbing it. Lines wider than the terminal scroll sideways around the
/// cursor. (Each character is taken to be one column wide.)
public struct TerminalScreen: Sendable {
    /// The prompt before the line, e.g. `alice> ` (may hold colour codes).
    public let prompt: String
    /// How many columns the prompt takes.
    public let promptWidth: Int

    /// A screen with `prompt` (of `promptWidth` columns).
    public init(prompt: String, promptWidth: Int) {
        self.prompt = prompt
        self.promptWidth = promptWidth
    }

    /// The bytes that redraw the input row for `editor` on a terminal `columns` wide.
    public func inputRow(_ editor: LineEditor, columns: Int) -> String {
        let room = max(columns - self.promptWidth - 1, 8)
        var start = 0
        if editor.cursor > room { start = editor.cursor - room }
        let visible = String(editor.text[start..<min(editor.text.count, start + room)])
        let column = self.promptWidth + editor.cursor - start
        // CR, erase the row, prompt and text, then CR and move right to the cursor's column.
        var row = "\r\u{1B}[2K" + self.prompt + EventFormatter.printable(visible) + "\r"
        if column > 0 { row += "\u{1B}[\(column)C" }
        return row
    }

    /// The bytes that print `lines` above the input row and redraw it.
    public func printAbove(_ lines: [String], editor: LineEditor, columns: Int) -> String {
        var out = "\r\u{1B}[2K"
        // Output post-processing stays on in raw mode, so "\n" moves to the start of the next row.
        for line in lines { out += line + "\n" }
        return out + self.inputRow(editor, columns: columns)
    }
}
