import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

/// Change events on the wire and on the client's side (docs/PROTOCOL.md, "Change events").
@Suite("Change events")
struct ChangeEventsTests {
    private func names(_ texts: [String]) throws -> [ChatName] { try texts.map { try ChatName(validating: $0) } }

    @Test("List changes, Online and Changed parse and print back")
    func roundTrips() throws {
        let alice = try ChatName(validating: "alice")
        #expect(try ClientControl.parse(ByteBuffer(string: "List changes"), from: alice) == .listChanges)
        #expect(ClientControl.listChanges.body == "List changes")
        #expect(throws: ControlError.unexpectedArgument(command: "List")) {
            try ClientControl.parse(ByteBuffer(string: "List change"), from: alice)
        }
        for text in [
            "Online 7 1/1 alice bob", "Online 0 1/1", "Changed 7 8 1/1 +carol -bob",
            "Changed 18446744073709551614 18446744073709551615 2/3 -x",
        ] {
            let control = try ServerControl.parse(ByteBuffer(string: text))
            #expect(control.body == text)
        }
        guard case .changed(let part) = try ServerControl.parse(ByteBuffer(string: "Changed 7 8 1/2 +carol -bob"))
        else {
            throw TestFailure("not a Changed part")
        }
        #expect(part.changes == [.joined(try ChatName(validating: "carol")), .left(try ChatName(validating: "bob"))])
    }

    @Test(
        "malformed change events are typed errors",
        arguments: [
            "Online", "Online x 1/1 a", "Online 01 1/1 a", "Online 7 2/1 a", "Changed 8 7 1/1 +a", "Changed 7 7 1/1 +a",
            "Changed 7 8 1/1 a", "Changed 7 8 1/1 +", "Changed 7 8 +a", "Changed 7 8 0/1 +a",
            "Online 99999999999999999999 1/1 a",
        ])
    func malformed(text: String) {
        #expect(throws: ControlError.self) { try ServerControl.parse(ByteBuffer(string: text)) }
    }

    @Test("many changes split into parts of at most 239 bytes, each numbered, in order")
    func splitting() throws {
        let changes = try (0..<300).map { index -> ListChange in
            let name = try ChatName(validating: "user\(index)")
            return index % 3 == 0 ? .left(name) : .joined(name)
        }
        let parts = ChangesPart.parts(from: 41, to: 42, changes: changes)
        #expect(parts.count > 1)
        #expect(parts.allSatisfy { $0.body.utf8.count <= Wire.maxBodyLength && $0.count == parts.count })
        #expect(parts.map(\.index) == Array(1...parts.count))
        #expect(parts.flatMap(\.changes) == changes)
        let versioned = VersionedListPart.parts(ofSorted: try names((0..<300).map { "n\($0)" }).sorted(), version: 9)
        #expect(versioned.allSatisfy { $0.body.utf8.count <= Wire.maxBodyLength && $0.body.hasPrefix("Online 9 ") })
    }

    @Test("the feed: the whole list, then changes applied in order; one that does not follow asks for the list")
    func feed() throws {
        var feed = ChangeFeed()
        feed.requested()
        #expect(feed.stage == .requested)
        let list = try names(["alice", "bob"])
        #expect(
            feed.received(VersionedListPart(version: 3, part: ListPart(index: 1, count: 1, names: list))) == .list(list)
        )
        #expect(feed.stage == .active(version: 3))
        let carol = try ChatName(validating: "carol")
        let bob = try ChatName(validating: "bob")
        #expect(
            feed.received(ChangesPart(from: 3, to: 4, index: 1, count: 2, changes: [.joined(carol)])) == .pending)
        #expect(
            feed.received(ChangesPart(from: 3, to: 4, index: 2, count: 2, changes: [.left(bob)]))
                == .changed(joined: [carol], left: [bob], online: 2))
        #expect(feed.names == Set(try names(["alice", "carol"])))
        #expect(feed.stage == .active(version: 4))
        // A gap: changes from 5 while holding 4.
        guard case .askFullList = feed.received(ChangesPart(from: 5, to: 6, index: 1, count: 1, changes: [])) else {
            throw TestFailure("a gap was not noticed")
        }
        feed.askedForFullList()
        #expect(feed.received(ChangesPart(from: 4, to: 5, index: 1, count: 1, changes: [])) == .ignored)
        #expect(
            feed.received(VersionedListPart(version: 6, part: ListPart(index: 1, count: 1, names: list))) == .list(list)
        )
        // A change that contradicts the list held: someone joining twice.
        guard
            case .askFullList = feed.received(ChangesPart(from: 6, to: 7, index: 1, count: 1, changes: [.joined(bob)]))
        else { throw TestFailure("a contradiction was not noticed") }
    }

    @Test("an Error first after Connected means the server does not know change events; later ones are errors")
    func fallback() throws {
        var session = ClientProtocol(id: try ChatName(validating: "alice"))
        session.requestedChanges()
        let connected = ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Connected 5"))
        guard let header = try FrameDecoder.header(of: connected) else { throw TestFailure("no frame") }
        _ = session.received(header, body: header.body(in: connected))
        func receive(_ body: String) throws -> ClientProtocol.Incoming {
            let bytes = ByteBuffer(bytes: wireFrame("alice", "-SERVER-", body))
            guard let header = try FrameDecoder.header(of: bytes) else { throw TestFailure("no frame") }
            return session.received(header, body: header.body(in: bytes))
        }
        #expect(
            try receive("Error unknown command 'List changes'") == .changesUnsupported("unknown command 'List changes'")
        )
        #expect(session.changes.stage == .off)
        #expect(try receive("List 1/1 alice") == .list(try names(["alice"]), bytes: 31))
        #expect(try receive("Error no") == .serverError("no"))
    }

    @Test(
        "a server that ignores List changes: a List does not end the wait (it may come first), no answer in time or a frame in other words does, and a later Error is shown"
    )
    func ignored() throws {
        var session = ClientProtocol(id: try ChatName(validating: "alice"))
        session.requestedChanges()
        func receive(_ body: String) throws -> ClientProtocol.Incoming {
            let bytes = ByteBuffer(bytes: wireFrame("alice", "-SERVER-", body))
            guard let header = try FrameDecoder.header(of: bytes) else { throw TestFailure("no frame") }
            return session.received(header, body: header.body(in: bytes))
        }
        _ = try receive("Connected 5")
        #expect(try receive("List 1/1 alice") == .list(try names(["alice"]), bytes: 31))
        #expect(session.changes.stage == .requested, "our server pushes the newcomer a full list before the answer")
        session.changesUnanswered()
        #expect(session.changes.stage == .off)
        #expect(try receive("Error server shutting down") == .serverError("server shutting down"))
        var greeted = ClientProtocol(id: try ChatName(validating: "alice"))
        greeted.requestedChanges()
        _ = greeted.received(
            try #require(try FrameDecoder.header(of: ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Connected 5")))),
            body: ByteBuffer(string: "Connected 5"))
        let banner = ByteBuffer(bytes: wireFrame("alice", "-SERVER-", "Welcome to the chat"))
        let header = try #require(try FrameDecoder.header(of: banner))
        #expect(greeted.received(header, body: header.body(in: banner)) == .serverText("Welcome to the chat"))
        #expect(greeted.changes.stage == .off)
    }
}

@Suite("Wire: sorted names under changes")
struct SortedNamesTests {
    private func names(_ texts: [String]) throws -> [ChatName] { try texts.map { try ChatName(validating: $0) } }

    @Test("Joins merge in order, leaves drop out, the result equals sorting the set again")
    func matchesSorting() throws {
        var generator = SplitMix64(seed: 22)
        let pool = try self.names((0..<60).map { "n\($0)" })
        var current: [ChatName] = []
        for _ in 0..<300 {
            let listed = Set(current)
            let left = current.filter { _ in generator.next() % 4 == 0 }
            let joined = pool.filter { !listed.contains($0) && generator.next() % 5 == 0 }
            let expected = listed.subtracting(left).union(joined).sorted()
            current = SortedNames.applying(joined: joined, left: left, to: current)
            #expect(current == expected)
        }
        #expect(
            try SortedNames.applying(joined: self.names(["bob"]), left: [], to: self.names(["alice", "bob"]))
                == self.names(["alice", "bob"]), "a repeated join is listed once")
    }
}
