/// Why bytes from a Redis server are not RESP, or not what was expected: the connection that
/// read them is closed; the bytes never crash the reader.
public enum RESPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A value began with a byte that is no RESP2 type (the byte).
    case unknownType(UInt8)
    /// A length or integer line is not a decimal number in range (the line, shortened).
    case badNumber(String)
    /// A line ran past `RESPParser.maxLineLength` bytes without its CRLF.
    case lineTooLong
    /// A bulk string is longer than `RESPParser.maxBulkLength`, or an array longer than
    /// `RESPParser.maxArrayCount` (the length announced).
    case tooLarge(Int64)
    /// Arrays nested deeper than `RESPParser.maxDepth`.
    case tooDeep
    /// A bulk string was not followed by CRLF.
    case missingCRLF
    /// The server answered with an error reply (its text).
    case server(String)
    /// The answer had another shape than the command's (what arrived).
    case unexpected(String)
    /// The connection closed before the answer came.
    case connectionClosed
    /// A `rediss://` endpoint was given no TLS transport (`RESPTransport`).
    case tlsNotConfigured
    /// No majority of the sentinels named one primary (each one's answer or trouble).
    case noSentinel(String)
    /// The sentinels that answered know no primary of this name.
    case unknownPrimary(String)
    /// The server the sentinels named is not a primary (yet, or any more): its role.
    case notPrimary(String)

    /// Whether the server may be there later (no sentinel answered, the one named is not the
    /// primary yet): try again; other errors are settings or a server that is not Redis.
    public var isOutage: Bool {
        switch self {
        case .noSentinel, .notPrimary: true
        default: false
        }
    }

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .unknownType(let byte): "not RESP: a value starting with byte 0x\(String(byte, radix: 16))"
        case .badNumber(let line): "not RESP: '\(line)' is not a number in range"
        case .lineTooLong: "not RESP: a line of more than \(RESPParser.maxLineLength) bytes"
        case .tooLarge(let length): "a RESP value of \(length) elements or bytes is over the limit"
        case .tooDeep: "RESP arrays nested more than \(RESPParser.maxDepth) deep"
        case .missingCRLF: "not RESP: a bulk string without its CRLF"
        case .server(let text): text
        case .unexpected(let what): "unexpected answer: \(what)"
        case .connectionClosed: "the connection to the server closed"
        case .tlsNotConfigured: "a rediss:// server needs TLS settings"
        case .noSentinel(let troubles): "the sentinels name no primary (\(troubles))"
        case .unknownPrimary(let name): "the sentinels know no primary named \(name)"
        case .notPrimary(let role): "the server the sentinels named is a \(role), not the primary"
        }
    }
}
