import NIOCore
import Testing

@testable import ChatServerCore

@Suite("Server: list writer")
struct ListWriterTests {
    private func list(_ tag: String, parts: Int) -> [ByteBuffer] {
        (1...parts).map { ByteBuffer(string: "\(tag)\($0)") }
    }

    private func texts(_ chunk: ArraySlice<ByteBuffer>?) -> [String] {
        (chunk ?? []).map { String(buffer: $0) }
    }

    @Test("a list goes out in chunks, one in flight at a time")
    func chunks() {
        var writer = ListWriter()
        let big = list("a", parts: ListWriter.chunkParts + 3)
        #expect(texts(writer.offer(big)).count == ListWriter.chunkParts)
        #expect(writer.isWriting)
        #expect(texts(writer.written()) == ["a17", "a18", "a19"])
        #expect(writer.written() == nil)
        #expect(!writer.isWriting)
    }

    @Test("a list offered while one is in flight waits; a newer one replaces it; lists never interleave")
    func conflation() {
        var writer = ListWriter()
        let first = list("a", parts: ListWriter.chunkParts + 1)
        _ = writer.offer(first)
        #expect(writer.offer(list("b", parts: 1)) == nil)
        #expect(writer.offer(list("c", parts: 2)) == nil)
        // The rest of the first list comes first, then only the latest.
        #expect(texts(writer.written()) == ["a17"])
        #expect(texts(writer.written()) == ["c1", "c2"])
        #expect(writer.written() == nil)
    }
}
