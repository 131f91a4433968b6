import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

@testable import ChatServerCore

/// Pushed versions of the list and what clients with change events are sent of them.
@Suite("Server: list editions and change events")
struct ListEditionTests {
    private func names(_ texts: [String]) throws -> [ChatName] {
        try texts.map { try ChatName(validating: $0) }.sorted()
    }

    private func texts(_ parts: some Collection<ByteBuffer>) -> [String] {
        parts.map { String(decoding: $0.readableBytesView.filter { $0 != 0 }, as: UTF8.self) }
    }

    private func edition(after previous: ListEdition, _ list: [String]) throws -> ListEdition {
        let sorted = try names(list)
        return previous.next(names: sorted, listParts: ServerBodies.list(sorted: sorted))
    }

    @Test("who left and who joined, in one pass over two sorted lists")
    func changes() throws {
        let changes = ListEdition.changes(from: try names(["a", "c", "e"]), to: try names(["b", "c", "d"]))
        #expect(changes.map(\.text) == ["-a", "+b", "+d", "-e"])
        #expect(ListEdition.changes(from: try names(["a"]), to: try names(["a"])).isEmpty)
    }

    @Test("editions: a version per change, the Changed parts from the previous one, the whole list as Online")
    func editions() throws {
        let first = try edition(after: ListEdition(), ["alice"])
        #expect(first.version == 1 && first.previousVersion == 0)
        #expect(texts(first.changeParts) == ["Changed 0 1 1/1 +alice"])
        let same = try edition(after: first, ["alice"])
        #expect(same === first, "no change: the same edition (no new version, nothing sent again)")
        let second = try edition(after: same, ["alice", "bob"])
        #expect(second.version == 2)
        #expect(texts(second.changeParts) == ["Changed 1 2 1/1 +bob"])
        #expect(texts(second.fullParts()) == ["Online 2 1/1 alice bob"])
        #expect(texts(second.listParts) == ["List 1/1 alice bob"])
    }

    @Test("the writer with change events: the whole list, then each version's changes in order, none skipped")
    func writerQueuesChanges() throws {
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var writer = ListWriter()
        let crowd = (1...20).map { "user\($0)" }
        let v1 = try edition(after: ListEdition(), crowd)
        guard case .write(let first) = writer.request(.changes(v1), at: t0) else { throw TestFailure("not written") }
        #expect(texts(first).first?.hasPrefix("Online 1 1/1 user1 ") == true)
        #expect(writer.offer(v1) == nil, "a version the client has is not sent")
        let v2 = try edition(after: v1, crowd + ["bob"])
        let v3 = try edition(after: v2, crowd + ["bob", "carol"])
        #expect(writer.offer(v2) == nil, "waits behind the chunk in flight")
        #expect(writer.offer(v3) == nil)
        #expect(texts(writer.written(at: t0) ?? []) == ["Changed 1 2 1/1 +bob", "Changed 2 3 1/1 +carol"])
        #expect(writer.written(at: t0) == nil)
        // Changes that weigh more than the whole list: the whole list instead.
        let v4 = try edition(after: v3, ["bob", "carol"])
        #expect(texts(writer.offer(v4) ?? []) == ["Online 4 1/1 bob carol"])
        #expect(writer.written(at: t0) == nil)
        // A gap (a version this client was never offered): the whole list.
        let v5 = try edition(after: v4, ["bob", "carol", "dave"])
        let v6 = try edition(after: v5, ["carol", "dave"])
        #expect(texts(writer.offer(v6) ?? []) == ["Online 6 1/1 carol dave"])
    }

    @Test(
        "List changes while a full list is being written: its rest is not sent, the Online list follows the chunk in flight"
    )
    func fullListDroppedForChanges() throws {
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var writer = ListWriter()
        let crowd = (1...5000).map { "memb\($0)" }  // more parts than one chunk
        let v1 = try edition(after: ListEdition(), crowd)
        #expect(v1.listParts.count > ListWriter.chunkParts)
        let firstChunk = writer.offer(v1)
        #expect(texts(firstChunk ?? []).first?.hasPrefix("List 1/") == true)
        #expect(writer.request(.changes(v1), at: t0) == .covered, "behind the chunk in flight")
        let next = texts(writer.written(at: t0) ?? [])
        #expect(next.first?.hasPrefix("Online 1 1/") == true, "no more List parts: \(next.first ?? "none")")
    }

    @Test("a newcomer's pushed list is held: List changes replaces it; the hold's end writes the latest; List ends it")
    func newcomerHold() throws {
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let v1 = try edition(after: ListEdition(), ["alice", "bob"])
        let v2 = try edition(after: v1, ["alice", "bob", "carol"])

        var asking = ListWriter()
        asking.holdFirstList()
        #expect(asking.offer(v1) == nil, "held")
        #expect(asking.offer(v2) == nil, "held; the newer replaces it")
        guard case .write(let online) = asking.request(.changes(v2), at: t0) else { throw TestFailure("not written") }
        #expect(texts(online) == ["Online 2 1/1 alice bob carol"], "no full list first")
        #expect(asking.releaseHold() == nil, "the hold ended with the request")

        var silent = ListWriter()
        silent.holdFirstList()
        #expect(silent.offer(v1) == nil)
        #expect(silent.offer(v2) == nil)
        #expect(texts(silent.releaseHold() ?? []) == ["List 1/1 alice bob carol"], "the latest, whole")

        var listing = ListWriter()
        listing.holdFirstList()
        #expect(listing.offer(v1) == nil)
        guard case .write(let answer) = listing.request(.full(v1.listParts), at: t0) else {
            throw TestFailure("not written")
        }
        #expect(texts(answer) == ["List 1/1 alice bob"])
        #expect(!listing.holdsFirstList)
    }
}
