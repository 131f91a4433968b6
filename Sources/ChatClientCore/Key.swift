/// A key the line editor understands, decoded from terminal input.
public enum Key: Equatable, Sendable {
    /// A character to insert.
    case character(Character)
    /// Enter / Return.
    case enter
    /// Backspace: delete the character before the cursor.
    case backspace
    /// Delete: delete the character under the cursor.
    case delete
    /// Cursor left / right.
    case left, right
    /// Cursor to the start / end of the line (Home, End, Ctrl-A, Ctrl-E).
    case home, end
    /// History: previous / next line.
    case up, down
    /// Tab: complete a name after `(`.
    case tab
    /// Ctrl-U: delete from the start of the line to the cursor.
    case killToStart
    /// Ctrl-W: delete the word before the cursor.
    case deleteWordBefore
    /// Ctrl-D: end of input on an empty line, else delete under the cursor.
    case endOfInput
    /// Ctrl-C.
    case interrupt
    /// Ctrl-L: redraw.
    case redraw
    /// A key with no meaning here (ignored).
    case ignored
}
