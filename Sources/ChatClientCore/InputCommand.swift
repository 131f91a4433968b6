public import ChatWire

/// One line the user typed, understood.
public enum InputCommand: Equatable, Sendable {
    /// `(bob) text` or `(ALL) text`.
    case message(to: ChatName, text: String)
    /// `@List`.
    case list
    /// `@Quit`.
    case quit
    /// `@Help`.
    case help
    /// A blank line: nothing to do.
    case empty
    /// Not a command; the hint tells the user what would be.
    case invalid(hint: String)

    /// The hint for lines that are not commands.
    public static let usageHint = "type (name) message, (ALL) message, @List, @Quit or @Help"

    /// Parses one line (without its newline). Commands are case-insensitive; one space after
    /// `)` separates the name from the text and is not part of the text.
    public static func parse(_ line: String) -> InputCommand {
        let trimmed = line.trimmingWhitespace()
        if trimmed.isEmpty { return .empty }
        if trimmed.first == "@" {
            switch trimmed.lowercased() {
            case "@list": return .list
            case "@quit": return .quit
            case "@help": return .help
            default: return .invalid(hint: "unknown command '\(trimmed.prefix(20))': \(Self.usageHint)")
            }
        }
        guard line.first == "(" else { return .invalid(hint: Self.usageHint) }
        guard let close = line.firstIndex(of: ")") else {
            return .invalid(hint: "missing ')' after the name: \(Self.usageHint)")
        }
        let nameText = line[line.index(after: line.startIndex)..<close]
        let name: ChatName
        do {
            name = try ChatName(validating: nameText)
        } catch {
            return .invalid(hint: "'\(nameText.prefix(20))' is not a name: \(error)")
        }
        guard name != .server else { return .invalid(hint: "-SERVER- takes no messages; use @List or @Quit") }
        var text = line[line.index(after: close)...]
        if text.first == " " { text = text.dropFirst() }
        guard !text.trimmingWhitespace().isEmpty else { return .invalid(hint: "nothing to send to \(name)") }
        guard !text.utf8.contains(0) else { return .invalid(hint: "a message cannot contain a NUL character") }
        return .message(to: name, text: String(text))
    }

    /// The text `@Help` shows.
    public static let helpText = """
        (name) message   send a message to one person, e.g. (bob) hello
        (ALL) message    send a message to everyone online
        @List            show who is online
        @Quit            leave (Ctrl-D does the same)
        @Help            show this help
        Long messages are sent in several parts. Commands are case-insensitive.
        """
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, and line ends.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = self.firstIndex(where: { !isSpace($0) }), let last = self.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
