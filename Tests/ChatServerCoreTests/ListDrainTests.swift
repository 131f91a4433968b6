import ChatWire
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import ChatServerCore

/// A push's drain: each connection tells it once when it has nothing of the push left to
/// write; a reader that stalls has its pushes conflated to one and holds no push past the next.
@Suite("Server: list push drain")
struct ListDrainTests {
    private let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    /// A drain for `recipients` that records its milestones.
    private func drain(_ recipients: Int) -> (ListDrain, NIOLockedValueBox<[ListDrain.Milestone]>) {
        let reached = NIOLockedValueBox<[ListDrain.Milestone]>([])
        return (
            ListDrain(recipients: recipients) { milestone in reached.withLockedValue { $0.append(milestone) } }, reached
        )
    }

    private func editions(_ count: Int, names: Int) throws -> [ListEdition] {
        var editions: [ListEdition] = []
        var last = ListEdition()
        for version in 1...count {
            let sorted = try (0..<(names + version)).map { try ChatName(validating: "n\($0)") }.sorted()
            last = last.next(names: sorted, listParts: ServerBodies.list(sorted: sorted))
            editions.append(last)
        }
        return editions
    }

    private func texts(_ parts: some Collection<ByteBuffer>) -> [String] {
        parts.map { String(decoding: $0.readableBytesView.filter { $0 != 0 }, as: UTF8.self) }
    }

    @Test("the bulk is all but an eighth, at least one; each milestone is told once")
    func milestones() {
        let (sixteen, reached) = self.drain(16)
        #expect(sixteen.bulk == 14)
        for _ in 0..<13 { sixteen.finished() }
        #expect(reached.withLockedValue { $0 }.isEmpty)
        sixteen.finished()
        #expect(reached.withLockedValue { $0 } == [.bulk])
        sixteen.finished()
        sixteen.finished()
        #expect(reached.withLockedValue { $0 } == [.bulk, .all])
        #expect(sixteen.finishedCount == 16)
        let (one, alone) = self.drain(1)
        one.finished()
        #expect(alone.withLockedValue { $0 } == [.all], "bulk and all are the same count: all alone")
    }

    @Test("a reader that drains: the push is done when its last chunk reached the socket")
    func drainsWhenWritten() throws {
        let (drain, reached) = self.drain(1)
        var output = ClientOutput()
        let list = try self.editions(1, names: 3_000)[0]
        #expect(list.listParts.count > ListWriter.chunkParts)
        var chunk = output.offerList(list, drain: drain)
        var written = 0
        while let next = chunk {
            #expect(reached.withLockedValue { $0 }.isEmpty, "not before the whole list is written")
            written += next.count
            chunk = output.listChunkWritten(at: self.t0)
        }
        #expect(written == list.listParts.count)
        #expect(reached.withLockedValue { $0 } == [.all])
    }

    @Test("a stalled reader: its pushes conflate to one, and each holds its drain only until the next")
    func stalledReader() throws {
        let pushes = try self.editions(4, names: 3_000)
        var output = ClientOutput()
        let drains = pushes.map { _ in self.drain(1) }
        let first = output.offerList(pushes[0], drain: drains[0].0)
        #expect(first?.count == ListWriter.chunkParts, "the first chunk goes out, and is never taken")
        for index in 1..<4 {
            #expect(output.offerList(pushes[index], drain: drains[index].0) == nil, "waits behind the chunk in flight")
            #expect(drains[index - 1].1.withLockedValue { $0 } == [.all], "the push before is over for this client")
            #expect(drains[index].1.withLockedValue { $0 }.isEmpty)
        }
        // The reader takes the chunk at last: the rest of the first list, then the newest only.
        var lists: [String] = []
        while let chunk = output.listChunkWritten(at: self.t0) {
            lists += self.texts(chunk).compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
        }
        let firstRest = pushes[0].listParts.count - ListWriter.chunkParts
        let partsOfFirst = lists.prefix(firstRest)
        #expect(partsOfFirst.allSatisfy { $0.hasSuffix("/\(pushes[0].listParts.count)") })
        #expect(lists.count == firstRest + pushes[3].listParts.count, "the second and third lists are never written")
        #expect(drains[3].1.withLockedValue { $0 } == [.all])
    }

    @Test("a client that leaves ends its wait; a list not written (held for List changes) is done at once")
    func leavingAndHeld() throws {
        let pushes = try self.editions(2, names: 3_000)
        let publisher = EmbeddedServer().shared.publisher
        var output = ClientOutput()
        let (leaving, reached) = self.drain(1)
        #expect(output.offerList(pushes[0], drain: leaving) != nil)
        output.left(publisher)
        #expect(reached.withLockedValue { $0 } == [.all])

        var held = ClientOutput()
        publisher.changeEventsStarted()  // newcomers are taken to ask: their first list is held
        #expect(held.holdFirstList(for: publisher) != nil)
        let (waiting, heldReached) = self.drain(1)
        #expect(held.offerList(pushes[1], drain: waiting) == nil)
        #expect(heldReached.withLockedValue { $0 } == [.all], "a held list costs nothing now")
    }

    /// Versions that swap 2,000 of 3,000 names each time: each version's changes weigh more
    /// than the whole list.
    private func swapping(_ count: Int) throws -> [ListEdition] {
        let kept = try (0..<1_000).map { try ChatName(validating: "k\($0)") }
        let sets = try ["a", "b"].map { prefix in try (0..<2_000).map { try ChatName(validating: "\(prefix)\($0)") } }
        var editions: [ListEdition] = []
        var last = ListEdition()
        for version in 0..<count {
            let sorted = (kept + sets[version % 2]).sorted()
            last = last.next(names: sorted, listParts: ServerBodies.list(sorted: sorted))
            editions.append(last)
        }
        return editions
    }

    @Test("change events: no second whole list while one is on its way; changes queue behind it")
    func changesBehindWholeList() throws {
        let pushes = try self.swapping(3)
        #expect(pushes[1].changeParts.reduce(0) { $0 + $1.readableBytes } > pushes[1].listBytes)
        var writer = ListWriter()
        let t0 = self.t0
        // The client asks for change events: its Online list starts.
        let answer = writer.request(.changes(pushes[0]), at: t0)
        guard case .write(let first) = answer else {
            Issue.record("no Online list: \(answer)")
            return
        }
        #expect(self.texts(first).first?.hasPrefix("Online 1 1/") == true)
        // Two versions while the Online list is on its way: their changes queue, though they
        // weigh more than a whole list (alone, that would send the whole list instead).
        for edition in pushes.dropFirst() { #expect(writer.offer(edition) == nil) }
        var rest: [String] = []
        while let chunk = writer.written(at: t0) { rest += self.texts(chunk) }
        let online = pushes[0].fullParts().count
        #expect(rest.filter { $0.hasPrefix("Online") }.count == online - min(online, ListWriter.chunkParts))
        let versions = Set(
            rest.filter { $0.hasPrefix("Changed") }.map { $0.split(separator: " ").prefix(3).joined(separator: " ") })
        #expect(versions == ["Changed 1 2", "Changed 2 3"])
    }
}
