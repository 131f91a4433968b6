public import NIOCore

/// One value of the Redis serialisation protocol, version 2 (RESP2): what Redis answers, and
/// what it pushes to a subscriber. A command is an array of bulk strings.
public enum RESPValue: Equatable, Sendable {
    /// `+text`: a short status such as `OK` or `PONG`.
    case simpleString(String)
    /// `-text`: an error reply (`ERR ...`, `WRONGPASS ...`); not thrown by the parser.
    case error(String)
    /// `:n`: an integer.
    case integer(Int64)
    /// `$n` then n bytes: a binary-safe string; `nil` is the null bulk string (`$-1`).
    case bulkString(ByteBuffer?)
    /// `*n` then n values; `nil` is the null array (`*-1`).
    case array([RESPValue]?)

    /// A bulk string of `text`'s UTF-8 bytes.
    public static func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

    /// The value as text when it is a simple or bulk string (bulk bytes decoded as UTF-8).
    public var text: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(buffer: bytes)
        default: nil
        }
    }

    /// The elements when it is a non-null array.
    public var elements: [RESPValue]? {
        if case .array(let values?) = self { return values }
        return nil
    }
}
