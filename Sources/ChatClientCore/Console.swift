import ChatWire

/// Everything the client shows goes through here, one piece at a time: in a terminal, incoming
/// lines are printed above the line being typed, which is then redrawn as it was; otherwise
/// plain lines go to standard output, errors to standard error.
actor Console {
    private let formatter: EventFormatter
    private let interactive: Bool
    private let screen: TerminalScreen
    private var editor = LineEditor()
    private var decoder = KeyDecoder()
    /// Online ids plus `ALL`, for Tab completion.
    private var completions: [String] = ["ALL"]

    init(formatter: EventFormatter, interactive: Bool, id: ChatName) {
        self.formatter = formatter
        self.interactive = interactive
        let promptText = "\(id.text)> "
        let prompt = formatter.colored ? formatter.name(id) + "> " : promptText
        self.screen = TerminalScreen(prompt: prompt, promptWidth: promptText.count)
    }

    /// Shows what an event says; remembers the online ids for completion.
    func show(_ event: ChatEvent) {
        if case .list(let update) = event { self.completions = ["ALL"] + update.names.map(\.text) }
        self.emit(self.formatter.lines(for: event))
    }

    /// Shows a notice from the client itself.
    func notice(_ text: String) { self.emit([(.output, self.formatter.notice(text))]) }

    /// Shows an error or hint from the client itself.
    func problem(_ text: String) { self.emit([(.error, self.formatter.error(text))]) }

    /// Shows lines as they are (help text).
    func plain(_ lines: [String]) { self.emit(lines.map { (.output, $0) }) }

    /// Feeds typed bytes to the line editor; returns what the user completed (lines, end of
    /// input, interrupt) and redraws. Submitted lines are kept above the input row.
    func type(_ bytes: [UInt8]) -> [LineEditor.Outcome] {
        var outcomes: [LineEditor.Outcome] = []
        var redraw = false
        for key in self.decoder.feed(bytes) {
            let outcome = self.editor.handle(key, names: self.completions)
            switch outcome {
            case .redraw:
                redraw = true
            case .bell:
                StandardStreams.output("\u{07}")
            case .submit(let line):
                StandardStreams.output(
                    self.screen.printAbove(
                        [self.screen.prompt + EventFormatter.printable(line)], editor: self.editor,
                        columns: Terminal.columns))
                redraw = false
                outcomes.append(outcome)
            case .endOfInput, .interrupt:
                outcomes.append(outcome)
            }
        }
        if redraw { StandardStreams.output(self.screen.inputRow(self.editor, columns: Terminal.columns)) }
        return outcomes
    }

    /// Draws the input row (terminal mode).
    func start() {
        if self.interactive { StandardStreams.output(self.screen.inputRow(self.editor, columns: Terminal.columns)) }
    }

    /// Clears the input row and puts the terminal back as it was.
    func finish() {
        guard self.interactive else { return }
        StandardStreams.output("\r\u{1B}[2K")
        Terminal.restore()
    }

    private func emit(_ lines: [(EventFormatter.Stream, String)]) {
        guard !lines.isEmpty else { return }
        if self.interactive {
            StandardStreams.output(
                self.screen.printAbove(lines.map(\.1), editor: self.editor, columns: Terminal.columns))
            return
        }
        for (stream, line) in lines {
            switch stream {
            case .output: StandardStreams.output(line + "\n")
            case .error: StandardStreams.error(line + "\n")
            }
        }
    }
}
