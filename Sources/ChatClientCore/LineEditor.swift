/// The line the user is typing, with its cursor and history: a plain value that takes keys and
/// says what happened. Rendering is `TerminalScreen`'s job.
public struct LineEditor: Sendable {
    /// The characters of the line.
    public private(set) var text: [Character] = []
    /// The cursor, 0...text.count.
    public private(set) var cursor = 0
    private var history: [String] = []
    /// Position in `history` while browsing it; `history.count` means the line being written.
    private var historyIndex = 0
    /// The line being written, kept while browsing history.
    private var draft: [Character] = []
    /// The most lines kept in history.
    public static let historyLimit = 500

    /// What a key did.
    public enum Outcome: Equatable, Sendable {
        /// The line changed or the cursor moved: redraw.
        case redraw
        /// Nothing happened (e.g. Left at the start); ring the bell if you like.
        case bell
        /// Enter: this line is done (it went into history, the editor is empty again).
        case submit(String)
        /// Ctrl-D on an empty line.
        case endOfInput
        /// Ctrl-C.
        case interrupt
    }

    /// An empty editor.
    public init() {}

    /// The line as a string.
    public var line: String { String(self.text) }

    /// Applies `key`; `names` are the candidates for Tab completion after `(`.
    public mutating func handle(_ key: Key, names: [String] = []) -> Outcome {
        switch key {
        case .character(let character):
            self.text.insert(character, at: self.cursor)
            self.cursor += 1
        case .enter:
            let line = self.line
            if !line.isEmpty, self.history.last != line {
                self.history.append(line)
                if self.history.count > Self.historyLimit { self.history.removeFirst() }
            }
            self.text = []
            self.cursor = 0
            self.historyIndex = self.history.count
            self.draft = []
            return .submit(line)
        case .backspace:
            guard self.cursor > 0 else { return .bell }
            self.cursor -= 1
            self.text.remove(at: self.cursor)
        case .delete:
            guard self.cursor < self.text.count else { return .bell }
            self.text.remove(at: self.cursor)
        case .left:
            guard self.cursor > 0 else { return .bell }
            self.cursor -= 1
        case .right:
            guard self.cursor < self.text.count else { return .bell }
            self.cursor += 1
        case .home:
            self.cursor = 0
        case .end:
            self.cursor = self.text.count
        case .up:
            guard self.historyIndex > 0 else { return .bell }
            if self.historyIndex == self.history.count { self.draft = self.text }
            self.historyIndex -= 1
            self.show(Array(self.history[self.historyIndex]))
        case .down:
            guard self.historyIndex < self.history.count else { return .bell }
            self.historyIndex += 1
            self.show(self.historyIndex == self.history.count ? self.draft : Array(self.history[self.historyIndex]))
        case .tab:
            return self.complete(from: names)
        case .killToStart:
            self.text.removeFirst(self.cursor)
            self.cursor = 0
        case .deleteWordBefore:
            var start = self.cursor
            while start > 0, self.text[start - 1] == " " { start -= 1 }
            while start > 0, self.text[start - 1] != " " { start -= 1 }
            guard start < self.cursor else { return .bell }
            self.text.removeSubrange(start..<self.cursor)
            self.cursor = start
        case .endOfInput:
            if self.text.isEmpty { return .endOfInput }
            guard self.cursor < self.text.count else { return .bell }
            self.text.remove(at: self.cursor)
        case .interrupt:
            return .interrupt
        case .redraw:
            break
        case .ignored:
            return .bell
        }
        return .redraw
    }

    private mutating func show(_ line: [Character]) {
        self.text = line
        self.cursor = line.count
    }

    /// Completes the name between a leading `(` and the cursor: a single match is completed and
    /// closed with `) `; several are completed to their longest common prefix.
    private mutating func complete(from names: [String]) -> Outcome {
        // The cursor must be after the '(' (Tab at the very start of "(bob" completes nothing).
        guard self.cursor >= 1, self.text.first == "(", !self.text[..<self.cursor].contains(")") else {
            return .bell
        }
        let prefix = String(self.text[1..<self.cursor])
        let matches = names.filter { $0.hasPrefix(prefix) }.sorted()
        guard let first = matches.first else { return .bell }
        var completion: String
        if matches.count == 1 {
            completion = first + ") "
            // An existing ')' after the cursor is kept rather than doubled.
            if self.text[self.cursor...].first == ")" { completion = first }
        } else {
            completion = matches.dropFirst().reduce(first) { common, name in
                String(zip(common, name).prefix { $0 == $1 }.map(\.0))
            }
            guard completion.count > prefix.count else { return .bell }
        }
        let added = Array(completion.dropFirst(prefix.count))
        self.text.insert(contentsOf: added, at: self.cursor)
        self.cursor += added.count
        return .redraw
    }
}
