import ChatWire
import Testing

@Suite("Text splitting")
struct TextSplitterTests {
    @Test("ASCII is cut into 239-byte pieces in order")
    func ascii() {
        let text = String(repeating: "abcdefghij", count: 50)
        let pieces = TextSplitter.split(text)
        #expect(pieces.map(\.utf8.count) == [239, 239, 22])
        #expect(pieces.joined() == text)
    }

    @Test("short text is one piece, empty text none")
    func short() {
        #expect(TextSplitter.split("hi") == ["hi"])
        #expect(TextSplitter.split("").isEmpty)
    }

    @Test("multi-byte characters are never cut", arguments: ["é", "€", "😀", "👩‍👩‍👧‍👦", "ab😀é"])
    func multiByte(unit: String) {
        let text = String(repeating: unit, count: 200)
        let pieces = TextSplitter.split(text)
        #expect(pieces.joined() == text)
        for piece in pieces {
            #expect(piece.utf8.count <= 239)
            #expect(String(decoding: Array(piece.utf8), as: UTF8.self) == piece)
        }
    }

    @Test("a single character longer than a body is split between its scalars")
    func hugeCluster() {
        let text = "e" + String(repeating: "\u{301}", count: 200)  // one grapheme, 401 bytes
        let pieces = TextSplitter.split(text)
        #expect(pieces.count == 2)
        #expect(pieces.allSatisfy { $0.utf8.count <= 239 })
        #expect(pieces.joined().unicodeScalars.elementsEqual(text.unicodeScalars))
    }
}
