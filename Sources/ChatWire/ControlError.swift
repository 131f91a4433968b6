/// Why a control body (a frame to or from `-SERVER-`) cannot be understood.
public enum ControlError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first word is not a known command (the word, shortened for display).
    case unknownCommand(String)
    /// The command needs an argument and has none.
    case missingArgument(command: String)
    /// The command takes no argument and has one.
    case unexpectedArgument(command: String)
    /// The argument is not what the command takes (the reason).
    case invalidArgument(command: String, reason: String)

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .unknownCommand(let word): "unknown command '\(word)'"
        case .missingArgument(let command): "'\(command)' needs an argument"
        case .unexpectedArgument(let command): "'\(command)' takes no argument"
        case .invalidArgument(let command, let reason): "bad argument to '\(command)': \(reason)"
        }
    }
}

/// A control body cut into its command word and the argument after the first space.
struct ControlWords {
    /// The bytes before the first space (the whole body when it has none).
    let command: ArraySlice<UInt8>
    /// The bytes after the first space, or `nil` when the body has no space.
    let argument: ArraySlice<UInt8>?

    init(_ body: [UInt8]) {
        if let space = body.firstIndex(of: Wire.padding) {
            self.command = body[..<space]
            self.argument = body[(space + 1)...]
        } else {
            self.command = body[...]
            self.argument = nil
        }
    }

    /// The command word for messages, shortened to 16 characters.
    var commandText: String {
        let text = String(decoding: self.command.prefix(16), as: UTF8.self)
        return self.command.count > 16 ? text + "..." : text
    }

    /// The argument parsed as a name, for `command`; `fallback` when there is none (else an error).
    func nameArgument(of command: String, orElse fallback: ChatName? = nil) throws(ControlError) -> ChatName {
        guard let argument else {
            guard let fallback else { throw .missingArgument(command: command) }
            return fallback
        }
        do {
            return try ChatName(validatingBytes: argument)
        } catch {
            throw .invalidArgument(command: command, reason: error.description)
        }
    }
}
