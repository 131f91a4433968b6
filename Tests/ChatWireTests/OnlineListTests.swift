import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

@Suite("Online list")
struct OnlineListTests {
    @Test("an empty list is the single part List 1/1")
    func empty() {
        #expect(OnlineList.parts(of: []).map(\.body) == ["List 1/1"])
    }

    @Test("names are sorted by byte order and fit one part when they can")
    func sorted() throws {
        let names = try ["bob", "Zed", "alice", "ab"].map { try ChatName(validating: $0) }
        #expect(OnlineList.parts(of: names).map(\.body) == ["List 1/1 Zed ab alice bob"])
    }

    @Test(
        "many names: every part at most 239 bytes, numbered k/n, together the sorted list", arguments: [60, 500, 3_000])
    func multiPart(count: Int) throws {
        var generator = SplitMix64(seed: UInt64(count))
        var unique = Set<ChatName>()
        while unique.count < count { unique.insert(try ChatName(validating: generator.nameText())) }
        let parts = OnlineList.parts(of: Array(unique))
        #expect(parts.count > 1)
        for (offset, part) in parts.enumerated() {
            #expect(part.body.utf8.count <= Wire.maxBodyLength)
            #expect(part.index == offset + 1)
            #expect(part.count == parts.count)
            // Parsing the printed body gives the part back.
            #expect(try ServerControl.parse(ByteBuffer(string: part.body)) == .list(part))
        }
        #expect(parts.flatMap(\.names) == unique.sorted())
        var reassembler = ListReassembler()
        var result: [ChatName]?
        for part in parts { result = try reassembler.add(part) }
        #expect(result == unique.sorted())
    }

    @Test("names of 8 bytes fill parts to the limit")
    func fullParts() throws {
        let names = try (0..<60).map { try ChatName(validating: "name\(1000 + $0)") }
        let parts = OnlineList.parts(of: names)
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { $0.body.utf8.count <= 239 })
        #expect(parts[0].body.utf8.count > 239 - 9)
    }

    @Test("the reassembler yields a list only after its last part")
    func reassembles() throws {
        let a = try ChatName(validating: "a")
        let b = try ChatName(validating: "b")
        var reassembler = ListReassembler()
        #expect(try reassembler.add(ListPart(index: 1, count: 2, names: [a])) == nil)
        #expect(reassembler.isWaiting)
        #expect(try reassembler.add(ListPart(index: 2, count: 2, names: [b])) == [a, b])
        #expect(!reassembler.isWaiting)
        #expect(try reassembler.add(ListPart(index: 1, count: 1, names: [])) == [])
    }

    @Test("the reassembler rejects gaps, repeats and a changed count, then recovers at the next part 1")
    func rejectsInconsistent() throws {
        let a = try ChatName(validating: "a")
        var reassembler = ListReassembler()
        #expect(throws: ListSequenceError.self) { try reassembler.add(ListPart(index: 2, count: 2, names: [a])) }
        _ = try reassembler.add(ListPart(index: 1, count: 3, names: [a]))
        #expect(throws: ListSequenceError.self) { try reassembler.add(ListPart(index: 3, count: 3, names: [a])) }
        #expect(!reassembler.isWaiting)
        _ = try reassembler.add(ListPart(index: 1, count: 3, names: [a]))
        #expect(throws: ListSequenceError.self) { try reassembler.add(ListPart(index: 2, count: 4, names: [a])) }
        _ = try reassembler.add(ListPart(index: 1, count: 2, names: [a]))
        #expect(throws: ListSequenceError.interrupted) { try reassembler.add(ListPart(index: 1, count: 2, names: [a])) }
        // The interrupting part 1 started a new list.
        #expect(try reassembler.add(ListPart(index: 2, count: 2, names: [a])) == [a, a])
    }
}
