public import ChatWire

/// Turns events into the lines a person reads. Plain (for scripts and pipes) or with colours
/// (ANSI SGR, one stable colour per name). Text from the network is made safe to print:
/// control characters, escape sequences included, are shown as `?`, so no peer can drive the
/// user's terminal.
public struct EventFormatter: Sendable {
    /// Whether to colour names.
    public let colored: Bool

    /// A formatter; `colored` adds ANSI colours.
    public init(colored: Bool) {
        self.colored = colored
    }

    /// Where a line goes.
    public enum Stream: Sendable {
        case output
        case error
    }

    /// The lines for one event and where they go; `.disconnected` is left to the caller.
    public func lines(for event: ChatEvent) -> [(Stream, String)] {
        switch event {
        case .message(let from, let text, let broadcast):
            let who = self.name(from) + (broadcast ? self.dim(" (to ALL)") : "")
            return [(.output, "\(who): \(Self.printable(text))")]
        case .offline(let name):
            return [(.output, self.notice("\(name.text) is not online"))]
        case .serverError(let text):
            return [(.error, self.error("server error: \(Self.printable(text))"))]
        case .list(let update):
            return [(.output, self.list(update))]
        case .intervalAnnounced(let interval):
            let seconds = HeartbeatInterval.format(interval)
            return [
                (.output, self.notice("the server announced a heartbeat interval: sending Alive every \(seconds)s"))
            ]
        case .serverText(let text):
            return [(.output, self.notice("server: \(Self.printable(text))"))]
        case .unreadable(let what):
            return [(.error, self.error("ignored an unreadable message from the server: \(Self.printable(what))"))]
        case .disconnected:
            return []
        }
    }

    /// `* online (3): alice bob carol`, plus who joined and left on a pushed change.
    public func list(_ update: ListUpdate) -> String {
        let names = update.names.map { self.name($0) }.joined(separator: " ")
        var line = "online (\(update.names.count)): \(names)"
        var changes: [String] = []
        if !update.joined.isEmpty {
            changes.append("joined: " + update.joined.map { self.name($0) }.joined(separator: " "))
        }
        if !update.left.isEmpty { changes.append("left: " + update.left.map { self.name($0) }.joined(separator: " ")) }
        if !changes.isEmpty { line += " (" + changes.joined(separator: "; ") + ")" }
        return self.notice(line)
    }

    /// A line from the client itself (`* ...`).
    public func notice(_ text: String) -> String {
        self.colored ? "\u{1B}[2m*\u{1B}[0m \(text)" : "* \(text)"
    }

    /// An error line (`! ...`).
    public func error(_ text: String) -> String {
        self.colored ? "\u{1B}[31m! \(text)\u{1B}[0m" : "! \(text)"
    }

    /// A name, in its colour.
    public func name(_ name: ChatName) -> String {
        guard self.colored else { return name.text }
        return "\u{1B}[\(Self.color(of: name))m\(name.text)\u{1B}[0m"
    }

    private func dim(_ text: String) -> String {
        self.colored ? "\u{1B}[2m\(text)\u{1B}[0m" : text
    }

    /// One of six bright foreground colours, chosen from the name's bytes (stable across runs).
    static func color(of name: ChatName) -> Int {
        let palette = [91, 92, 93, 94, 95, 96]
        var hash: UInt64 = 1_469_598_103_934_665_603
        for byte in name.trimmedBytes { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return palette[Int(hash % UInt64(palette.count))]
    }

    /// `text` with every control character (C0, DEL, C1) replaced by `?`.
    public static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    let value = scalar.value
                    return value < 0x20 || (0x7F...0x9F).contains(value) ? "?" : scalar
                }))
    }
}
