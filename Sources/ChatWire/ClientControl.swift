public import NIOCore

/// The bodies a client sends to `-SERVER-` (docs/PROTOCOL.md, "Client to server").
public enum ClientControl: Equatable, Sendable {
    /// `Connect <id>` or `Connect <id> <password>`: the first frame on a connection; `id` must
    /// equal the frame's source. The password is everything after the space that follows the id
    /// (spaces included), for a server with accounts (docs/PROTOCOL.md, "Accounts").
    case connect(ChatName, password: [UInt8]? = nil)
    /// `Alive <id>`: the heartbeat.
    case alive(ChatName)
    /// `List`: asks for the online list.
    case list
    /// `List changes`: asks for the online list once, then only its changes (docs/PROTOCOL.md,
    /// "Change events").
    case listChanges
    /// `Quit <id>`: leaves.
    case quit(ChatName)

    /// Parses a body sent to `-SERVER-` by `source` (the frame's SRC). Words are case-sensitive
    /// and separated by one space. `Connect`, `Alive` and `Quit` with no argument name `source`:
    /// other implementations send them so, with the id in SRC only; `@List` and `@Quit` are
    /// `List` and `Quit` (docs/PROTOCOL.md, "Compatibility"). We always send the id and the
    /// plain words.
    public static func parse(_ body: ByteBuffer, from source: ChatName) throws(ControlError) -> ClientControl {
        let words = ControlWords(Array(body.readableBytesView))
        switch words.command {
        case "Connect".utf8:
            guard let argument = words.argument, let space = argument.firstIndex(of: Wire.padding) else {
                return .connect(try words.nameArgument(of: "Connect", orElse: source))
            }
            let id: ChatName
            do {
                id = try ChatName(validatingBytes: argument[..<space])
            } catch {
                throw .invalidArgument(command: "Connect", reason: error.description)
            }
            return .connect(id, password: Array(argument[(space + 1)...]))
        case "Alive".utf8: return .alive(try words.nameArgument(of: "Alive", orElse: source))
        // `@List` and `@Quit`: the user's command word as typed, sent by clients that pass it on.
        case "Quit".utf8, "@Quit".utf8: return .quit(try words.nameArgument(of: "Quit", orElse: source))
        case "List".utf8, "@List".utf8:
            guard let argument = words.argument else { return .list }
            guard argument.elementsEqual("changes".utf8) else { throw .unexpectedArgument(command: "List") }
            return .listChanges
        default: throw .unknownCommand(words.commandText)
        }
    }

    /// The command word, e.g. `Connect`.
    public var command: String {
        switch self {
        case .connect: "Connect"
        case .alive: "Alive"
        case .list, .listChanges: "List"
        case .quit: "Quit"
        }
    }

    /// The body text, e.g. `Connect alice`.
    public var body: String {
        switch self {
        case .connect(let id, password: nil): "Connect \(id)"
        case .connect(let id, password: let password?): "Connect \(id) \(String(decoding: password, as: UTF8.self))"
        case .alive(let id): "Alive \(id)"
        case .list: "List"
        case .listChanges: "List changes"
        case .quit(let id): "Quit \(id)"
        }
    }

    /// The body's bytes: `body`, but a password byte for byte (it need not be UTF-8).
    public var bodyBytes: [UInt8] {
        guard case .connect(let id, let password?) = self else { return Array(self.body.utf8) }
        return Array("Connect \(id) ".utf8) + password
    }

    /// The complete frame from `client` to `-SERVER-`.
    public func frame(from client: ChatName) -> Frame {
        Frame(controlTo: .server, from: client, body: self.bodyBytes)
    }
}

extension Frame {
    /// A control frame (a body the caller made to fit: control words are short, a password is
    /// checked first with `ClientProtocol.passwordProblem`).
    init(controlTo destination: ChatName, from source: ChatName, body: [UInt8]) {
        var wire = ByteBuffer()
        wire.reserveCapacity(Wire.headerLength + body.count + 1)
        FrameHeader.write(to: destination, from: source, into: &wire)
        wire.writeBytes(body)
        wire.writeInteger(Wire.terminator)
        self.init(destination: destination, source: source, validatedWire: wire)
    }
}

/// `ArraySlice<UInt8>` compared with a string's UTF-8 view, for `switch` over command words.
func ~= (pattern: String.UTF8View, value: ArraySlice<UInt8>) -> Bool {
    value.elementsEqual(pattern)
}
