import ChatWire
import Testing

@Suite("Names")
struct ChatNameTests {
    @Test("valid names keep their text and pad to 8 bytes", arguments: ["a", "alice", "12345678", "-x-", "~!{}"])
    func validNames(text: String) throws {
        let name = try ChatName(validating: text)
        #expect(name.text == text)
        #expect(name.length == text.utf8.count)
        var buffer = ByteBufferAllocatorShim.buffer()
        name.write(to: &buffer)
        #expect(buffer.readableBytes == 8)
        #expect(Array(buffer.readableBytesView) == Array(text.utf8) + Array(repeating: 0x20, count: 8 - text.utf8.count))
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
