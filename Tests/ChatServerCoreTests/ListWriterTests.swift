import NIOCore
import Testing

@testable import ChatServerCore

@Suite("Server: list writer")
struct ListWriterTests {
    private let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func at(_ milliseconds: Int64) -> NIODeadline { self.t0 + .milliseconds(milliseconds) }

    private func list(_ tag: String, parts: Int) -> [ByteBuffer] {
        (1...parts).map { ByteBuffer(string: "\(tag)\($0)") }
    }

    private func texts(_ chunk: ArraySlice<ByteBuffer>?) -> [String] {
        (chunk ?? []).map { String(buffer: $0) }
    }

    /// The texts a request's answer writes now, or `nil` when it writes nothing now.
    private func writes(_ answer: ListWriter.RequestAnswer) -> [String]? {
        guard case .write(let chunk) = answer else { return nil }
        return texts(chunk)
    }

    @Test("a list goes out in chunks, one in flight at a time")
    func chunks() {
        var writer = ListWriter()
        let big = list("a", parts: ListWriter.chunkParts + 3)
        #expect(texts(writer.offer(big)).count == ListWriter.chunkParts)
        #expect(writer.isWriting)
        let rest = (ListWriter.chunkParts + 1...ListWriter.chunkParts + 3).map { "a\($0)" }
        #expect(texts(writer.written(at: self.t0)) == rest)
        #expect(writer.written(at: self.t0) == nil)
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
        #expect(texts(writer.written(at: self.t0)) == ["a\(ListWriter.chunkParts + 1)"])
        #expect(texts(writer.written(at: self.t0)) == ["c1", "c2"])
        #expect(writer.written(at: self.t0) == nil)
    }

    @Test("the same list (the same storage) is not pushed again to a client that has it or is getting it")
    func sameListOnce() {
        var writer = ListWriter()
        let list = list("a", parts: 2)
        #expect(texts(writer.offer(list)) == ["a1", "a2"])
        #expect(writer.offer(list) == nil, "in flight")
        #expect(writer.written(at: self.t0) == nil)
        #expect(writer.offer(list) == nil, "written already")
        let copy = list.map { ByteBuffer(buffer: $0) }
        #expect(texts(writer.offer(Array(copy))) == ["a1", "a2"], "equal bytes in other storage are another list")
    }

    @Test("List for the list just written: answered again after 100 ms, once, however often it is asked")
    func repeatedRequests() {
        var writer = ListWriter()
        let list = list("a", parts: 1)
        #expect(writes(writer.request(.full(list), at: self.t0)) == ["a1"])
        #expect(writer.request(.full(list), at: self.at(1)) == .covered, "on its way")
        #expect(writer.written(at: self.at(2)) == nil)
        #expect(writer.request(.full(list), at: self.at(3)) == .later(self.at(102)))
        #expect(writer.request(.full(list), at: self.at(4)) == .covered, "one answer owed, one timer")
        #expect(texts(writer.owedAnswerDue(.full(list), at: self.at(102))) == ["a1"])
        #expect(writer.written(at: self.at(103)) == nil)
        #expect(writes(writer.request(.full(list), at: self.at(203))) == ["a1"], "100 ms after the last answer")
        // Another list is answered at once.
        _ = writer.written(at: self.at(204))
        #expect(writes(writer.request(.full(self.list("b", parts: 1)), at: self.at(205))) == ["b1"])
    }

    @Test("an owed answer is dropped when a newer list was written since the request")
    func owedAnswerOvertaken() {
        var writer = ListWriter()
        let old = list("a", parts: 1)
        _ = writer.request(.full(old), at: self.t0)
        _ = writer.written(at: self.at(1))
        #expect(writer.request(.full(old), at: self.at(2)) == .later(self.at(101)))
        let pushed = list("b", parts: 1)
        #expect(texts(writer.offer(pushed)) == ["b1"])
        #expect(writer.written(at: self.at(50)) == nil)
        #expect(writer.owedAnswerDue(.full(pushed), at: self.at(101)) == nil, "the push answered it")
        #expect(!writer.owesAnswer)
    }
}
