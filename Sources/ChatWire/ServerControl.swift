public import NIOCore

/// The bodies the server sends from `-SERVER-` (docs/PROTOCOL.md, "Server to client").
public enum ServerControl: Equatable, Sendable {
    /// `Connected <interval>`: the Connect succeeded; send `Alive` every `interval`.
    case connected(interval: Duration)
    /// `List k/n <names>`: one part of the online list.
    case list(ListPart)
    /// `Offline <name>`: the target of the client's message is not online.
    case offline(ChatName)
    /// `Error <text>`: a protocol error, in words.
    case error(String)
    /// `Online <version> k/n <names>`: one part of the whole list at a version (change events).
    case online(VersionedListPart)
    /// `Changed <from> <to> k/n <changes>`: one part of the changes between two versions.
    case changed(ChangesPart)

    /// Parses a body received from `-SERVER-`.
    public static func parse(_ body: ByteBuffer) throws(ControlError) -> ServerControl {
        let words = ControlWords(Array(body.readableBytesView))
        switch words.command {
        case "Connected".utf8:
            guard let argument = words.argument else { throw .missingArgument(command: "Connected") }
            guard let interval = HeartbeatInterval.parse(String(decoding: argument, as: UTF8.self)) else {
                throw .invalidArgument(command: "Connected", reason: "not a positive number of seconds")
            }
            return .connected(interval: interval)
        case "List".utf8:
            guard let argument = words.argument else { throw .missingArgument(command: "List") }
            return .list(try ListPart.parse(argument: argument))
        case "Offline".utf8:
            return .offline(try words.nameArgument(of: "Offline"))
        case "Error".utf8:
            return .error(words.argument.map { String(decoding: $0, as: UTF8.self) } ?? "")
        case "Online".utf8:
            guard let argument = words.argument else { throw .missingArgument(command: "Online") }
            return .online(try VersionedListPart.parse(argument: argument))
        case "Changed".utf8:
            guard let argument = words.argument else { throw .missingArgument(command: "Changed") }
            return .changed(try ChangesPart.parse(argument: argument))
        default:
            throw .unknownCommand(words.commandText)
        }
    }

    /// The body text; an error text is cut (at a character boundary) to fit 239 bytes.
    public var body: String {
        switch self {
        case .connected(let interval): "Connected \(HeartbeatInterval.format(interval))"
        case .list(let part): part.body
        case .offline(let name): "Offline \(name)"
        case .error(let text):
            TextSplitter.split("Error " + Self.printable(text)).first ?? "Error"
        case .online(let part): part.body
        case .changed(let part): part.body
        }
    }

    /// The complete frame from `-SERVER-` to `client`.
    public func frame(to client: ChatName) -> Frame {
        Frame(controlTo: client, from: .server, body: Array(self.body.utf8))
    }

    /// `text` with NULs and other control characters replaced by spaces.
    private static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }
}
