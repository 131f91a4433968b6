import ChatWireTestSupport
import NIOCore
import RESP
import Testing

@Suite("RESP: parser and encoder")
struct RESPParserTests {
    private func parseAll(_ text: String) throws -> [RESPValue] {
        var buffer = ByteBuffer(string: text)
        var values: [RESPValue] = []
        while let value = try RESPParser.next(from: &buffer) { values.append(value) }
        #expect(buffer.readableBytes == 0, "every byte used")
        return values
    }

    @Test("every RESP2 type, the nulls, and nested arrays")
    func types() throws {
        let values = try parseAll(
            "+OK\r\n-ERR no\r\n:-42\r\n$5\r\nhe\0lo\r\n$0\r\n\r\n$-1\r\n*-1\r\n*2\r\n*1\r\n:1\r\n$1\r\nx\r\n")
        #expect(
            values == [
                .simpleString("OK"), .error("ERR no"), .integer(-42),
                .bulkString(ByteBuffer(bytes: Array("he\0lo".utf8))),
                .bulkString(ByteBuffer()), .bulkString(nil), .array(nil), .array([.array([.integer(1)]), .bulk("x")]),
            ])
    }

    @Test("a value cut at every byte is read once it is whole, never before, nothing consumed meanwhile")
    func everyCut() throws {
        let text = "*3\r\n$7\r\nmessage\r\n$4\r\nchat\r\n$11\r\nhello world\r\n"
        for cut in 0..<text.utf8.count {
            var buffer = ByteBuffer(bytes: Array(text.utf8.prefix(cut)))
            #expect(try RESPParser.next(from: &buffer) == nil, "cut at \(cut)")
            #expect(buffer.readableBytes == cut)
            buffer.writeBytes(Array(text.utf8.dropFirst(cut)))
            #expect(try RESPParser.next(from: &buffer)?.elements?.count == 3, "cut at \(cut)")
        }
    }

    @Test(
        "bytes that are not RESP, or over a limit, are typed errors",
        arguments: [
            ("?x\r\n", RESPError.unknownType(0x3F)), (":12a\r\n", .badNumber("12a")), ("$-2\r\n", .badNumber("-2")),
            ("$3\r\nabcd\r\n", .missingCRLF), ("*99999999\r\n", .tooLarge(99_999_999)),
            ("$999999999\r\n", .tooLarge(999_999_999)), (":1\rx", .missingCRLF),
            (":99999999999999999999\r\n", .badNumber("99999999999999999999")),
        ])
    func errors(text: String, error: RESPError) {
        var buffer = ByteBuffer(string: text)
        #expect(throws: error) { try RESPParser.next(from: &buffer) }
    }

    @Test("no line longer than the limit is held; arrays nested past the limit are refused")
    func limits() {
        var long = ByteBuffer(string: "+" + String(repeating: "a", count: RESPParser.maxLineLength + 2))
        #expect(throws: RESPError.lineTooLong) { try RESPParser.next(from: &long) }
        var deep = ByteBuffer(string: String(repeating: "*1\r\n", count: RESPParser.maxDepth + 1) + ":1\r\n")
        #expect(throws: RESPError.tooDeep) { try RESPParser.next(from: &deep) }
    }

    @Test("commands are arrays of bulk strings, binary-safe; values print back to what they were")
    func encoding() throws {
        var buffer = ByteBuffer()
        RESPEncoder.command(["SET", "k", .bytes(ByteBuffer(bytes: [0, 13, 10]))], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\0\r\n\r\n")
        let value = RESPValue.array([.simpleString("OK"), .integer(7), .bulkString(nil), .array([.bulk("a")])])
        var printed = ByteBuffer()
        RESPEncoder.value(value, into: &printed)
        #expect(try RESPParser.next(from: &printed) == value)
    }

    @Test("URLs: host and port, password, user and password, database; the password never printed")
    func endpoints() throws {
        let plain = try RESPEndpoint(url: "redis://10.0.0.5:6380")
        #expect(plain.host == "10.0.0.5" && plain.port == 6380 && plain.password == nil && plain.database == 0)
        let full = try RESPEndpoint(url: "redis://chat:s3cr@t@redis.local:6379/2")
        #expect(full.user == "chat" && full.password == "s3cr@t" && full.host == "redis.local" && full.database == 2)
        #expect(full.description == "redis://chat:***@redis.local:6379/2")
        let passwordOnly = try RESPEndpoint(url: "redis://:pw@[::1]:6379")
        #expect(passwordOnly.user == nil && passwordOnly.password == "pw" && passwordOnly.host == "::1")
        for bad in ["http://x:1", "redis://host", "redis://:6379", "redis://h:0", "redis://h:70000", "redis://h:1/x"] {
            #expect(throws: RESPEndpointError.self, "\(bad)") { try RESPEndpoint(url: bad) }
        }
    }
}
