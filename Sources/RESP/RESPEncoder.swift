public import NIOCore

/// Writes commands in RESP2: an array of bulk strings, binary-safe.
public enum RESPEncoder {
    /// Appends the command `arguments` (the command name first) to `buffer`.
    public static func command(_ arguments: [RESPArgument], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            switch argument {
            case .text(let text):
                buffer.writeString("$\(text.utf8.count)\r\n")
                buffer.writeString(text)
            case .bytes(let bytes):
                buffer.writeString("$\(bytes.readableBytes)\r\n")
                buffer.writeImmutableBuffer(bytes)
            }
            buffer.writeStaticString("\r\n")
        }
    }

    /// Writes `value` as RESP (what a server sends; the tests' stand-in servers use it).
    public static func value(_ value: RESPValue, into buffer: inout ByteBuffer) {
        switch value {
        case .simpleString(let text): buffer.writeString("+\(text)\r\n")
        case .error(let text): buffer.writeString("-\(text)\r\n")
        case .integer(let number): buffer.writeString(":\(number)\r\n")
        case .bulkString(nil): buffer.writeStaticString("$-1\r\n")
        case .bulkString(let bytes?):
            buffer.writeString("$\(bytes.readableBytes)\r\n")
            buffer.writeImmutableBuffer(bytes)
            buffer.writeStaticString("\r\n")
        case .array(nil): buffer.writeStaticString("*-1\r\n")
        case .array(let elements?):
            buffer.writeString("*\(elements.count)\r\n")
            for element in elements { Self.value(element, into: &buffer) }
        }
    }
}

/// One argument of a command: text (UTF-8) or bytes.
public enum RESPArgument: Sendable, ExpressibleByStringLiteral {
    /// Text, sent as its UTF-8 bytes.
    case text(String)
    /// Bytes, sent as they are.
    case bytes(ByteBuffer)

    /// A literal is text.
    public init(stringLiteral value: String) { self = .text(value) }
}
