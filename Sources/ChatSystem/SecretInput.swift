#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a password: from the terminal without echo when standard input is one (the prompt on
/// standard error), else one line of standard input (for scripts: `echo … | chatserver passwd`).
public enum SecretInput {
    /// Why no password was read.
    public enum Failure: Error, CustomStringConvertible {
        case endOfInput
        case empty
        case tooLong(Int)

        /// The reason, in words for a person.
        public var description: String {
            switch self {
            case .endOfInput: "no password given (end of input)"
            case .empty: "the password is empty"
            case .tooLong(let limit): "the password is longer than \(limit) bytes"
            }
        }
    }

    /// The longest password read: it must fit a Connect body (239 bytes, less `Connect <id> `).
    public static let maxLength = 222

    /// Writes `text` to standard error.
    private static func say(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Whether standard input is a terminal.
    public static var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// One password: asked with `prompt` on a terminal (echo off), or the next line of input.
    public static func read(prompt: String) throws(Failure) -> [UInt8] {
        let terminal = Self.isTerminal
        var saved = termios()
        if terminal {
            Self.say(prompt)
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if terminal {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                Self.say("\n")
            }
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = systemRead(STDIN_FILENO, &byte, 1)
            if count < 0, errno == EINTR { continue }
            if count <= 0 {
                if line.isEmpty { throw .endOfInput }
                break
            }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
            guard line.count <= 4096 else { throw .tooLong(Self.maxLength) }
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        guard !line.isEmpty else { throw .empty }
        guard line.count <= Self.maxLength else { throw .tooLong(Self.maxLength) }
        return line
    }
}
