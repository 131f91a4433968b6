import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

@Suite("Names")
struct ChatNameTests {
    @Test("valid names keep their text and pad to 8 bytes", arguments: ["a", "alice", "12345678", "-x-", "~!{}"])
    func validNames(text: String) throws {
        let name = try ChatName(validating: text)
        #expect(name.text == text)
        #expect(name.length == text.utf8.count)
        var buffer = ByteBuffer()
        name.write(to: &buffer)
        #expect(buffer.readableBytes == 8)
        #expect(
            Array(buffer.readableBytesView) == Array(text.utf8) + Array(repeating: 0x20, count: 8 - text.utf8.count))
    }

    @Test("invalid names are refused with the reason")
    func invalidNames() {
        #expect(throws: ChatName.NameError.empty) { try ChatName(validating: "") }
        #expect(throws: ChatName.NameError.tooLong(9)) { try ChatName(validating: "123456789") }
        #expect(throws: ChatName.NameError.invalidByte(0x20)) { try ChatName(validating: "a b") }
        #expect(throws: ChatName.NameError.invalidByte(0x09)) { try ChatName(validating: "a\tb") }
        #expect(throws: ChatName.NameError.invalidByte(0xC3)) { try ChatName(validating: "é") }
        #expect(throws: ChatName.NameError.invalidByte(0x00)) { try ChatName(validating: "a\0") }
    }

    @Test("ALL and -SERVER- are reserved, names are case-sensitive")
    func reserved() throws {
        #expect(ChatName.all.isReserved)
        #expect(ChatName.server.isReserved)
        #expect(ChatName.server.text == "-SERVER-")
        #expect(try !ChatName(validating: "all").isReserved)
        #expect(try ChatName(validating: "Bob") != ChatName(validating: "bob"))
    }

    @Test("the order of names is the byte order of their text")
    func byteOrder() throws {
        var generator = SplitMix64(seed: 7)
        let names = (0..<500).map { _ in generator.nameText() }
        let sortedByName = try names.map { try ChatName(validating: $0) }.sorted().map(\.text)
        let sortedByBytes = names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        #expect(sortedByName == sortedByBytes)
    }

    @Test("a name field: padding on the right only, printable ASCII, not blank")
    func fields() throws {
        func field(_ text: String) -> UInt64 {
            Array(text.utf8).reduce(0) { $0 << 8 | UInt64($1) }
        }
        #expect(try ChatName(field: field("bob     ")).text == "bob")
        #expect(throws: FrameError.NameFault.blank) { try ChatName(field: field("        ")) }
        #expect(throws: FrameError.NameFault.spaceInside) { try ChatName(field: field("bo b    ")) }
        #expect(throws: FrameError.NameFault.spaceInside) { try ChatName(field: field(" bob    ")) }
        #expect(throws: FrameError.NameFault.invalidByte(0x7F)) { try ChatName(field: field("bob\u{7F}    ")) }
        #expect(throws: FrameError.NameFault.invalidByte(0x0A)) { try ChatName(field: field("bob\n    ")) }
    }
}

@Suite("Names: the eight-bytes-at-once check agrees with the byte loop")
struct ChatNameFieldCheckTests {
    /// The rules, one byte at a time.
    private func reference(_ field: UInt64) -> Bool {
        var sawPadding = false
        for shift in stride(from: 56, through: 0, by: -8) {
            let byte = UInt8(truncatingIfNeeded: field >> UInt64(shift))
            if byte == 0x20 {
                sawPadding = true
            } else if !(0x21...0x7E).contains(byte) || sawPadding {
                return false
            }
        }
        return field >> 56 != 0x20
    }

    @Test("random fields, and fields built from the edge bytes, are judged the same way")
    func agrees() throws {
        var generator = SplitMix64(seed: 11)
        let edges: [UInt8] = [0x00, 0x01, 0x1F, 0x20, 0x21, 0x41, 0x7E, 0x7F, 0x80, 0xA0, 0xFF]
        for round in 0..<200_000 {
            var field: UInt64 = 0
            for _ in 0..<8 {
                let byte =
                    round % 2 == 0
                    ? edges[Int.random(in: 0..<edges.count, using: &generator)]
                    : UInt8.random(in: 0...255, using: &generator)
                field = field << 8 | UInt64(byte)
            }
            let valid = (try? ChatName(field: field)) != nil
            #expect(valid == reference(field), "field 0x\(String(field, radix: 16))")
        }
        for text in ["a", "abc", "12345678", "-SERVER-"] {
            let field = (Array(text.utf8) + Array(repeating: 0x20, count: 8 - text.utf8.count)).reduce(UInt64(0)) {
                $0 << 8 | UInt64($1)
            }
            #expect(try ChatName(field: field).text == text)
        }
    }

    @Test("the NUL search finds the first zero at every position")
    func nulSearch() throws {
        for length in 16...80 {
            for position in 16..<length {
                var bytes = Array(repeating: UInt8(0xFF), count: length)
                bytes[position] = 0
                if position + 3 < length { bytes[position + 3] = 0 }
                bytes.replaceSubrange(0..<16, with: Array("bob     alice   ".utf8))
                var decoder = FrameDecoder()
                var buffer = ByteBuffer(bytes: bytes)
                let frame = try #require(try decoder.decode(buffer: &buffer))
                #expect(frame.bodyLength == position - 16)
            }
        }
    }
}
