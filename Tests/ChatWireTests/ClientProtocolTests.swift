import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

@Suite("Client protocol")
struct ClientProtocolTests {
    private func name(_ text: String) throws -> ChatName { try ChatName(validating: text) }

    private func receive(_ session: inout ClientProtocol, _ bytes: [UInt8]) throws -> ClientProtocol.Incoming {
        let buffer = ByteBuffer(bytes: bytes)
        guard let header = try FrameDecoder.header(of: buffer) else { throw FrameError.truncated(bytes.count) }
        return session.received(header, body: header.body(in: buffer))
    }

    @Test("Connect first; Connected gives the heartbeat (one Alive per interval); then messages, lists, errors")
    func session() throws {
        var session = ClientProtocol(id: try name("alice"))
        #expect(Array(session.connectFrame.readableBytesView) == wireFrame("-SERVER-", "alice", "Connect alice"))
        #expect(Array(session.aliveFrame.readableBytesView) == wireFrame("-SERVER-", "alice", "Alive alice"))
        #expect(Array(session.listFrame.readableBytesView) == wireFrame("-SERVER-", "alice", "List"))
        #expect(Array(session.quitFrame.readableBytesView) == wireFrame("-SERVER-", "alice", "Quit alice"))
        #expect(
            try receive(&session, wireFrame("alice", "-SERVER-", "Connected 0.25"))
                == .connected(interval: .milliseconds(250), heartbeat: .milliseconds(250), greeting: nil))
        #expect(session.state == .online(heartbeat: .milliseconds(250)))
        #expect(
            try receive(&session, wireFrame("ALL", "bob", "hi"))
                == .message(from: try name("bob"), body: ByteBuffer(string: "hi"), broadcast: true))
        let part1 = wireFrame("alice", "-SERVER-", "List 1/2 alice")
        let part2 = wireFrame("alice", "-SERVER-", "List 2/2 bob")
        #expect(try receive(&session, part1) == .listPart)
        #expect(
            try receive(&session, part2)
                == .list([try name("alice"), try name("bob")], bytes: part1.count + part2.count))
        #expect(try receive(&session, wireFrame("alice", "-SERVER-", "List 2/2 bob")) != .listPart)
        #expect(try receive(&session, wireFrame("alice", "-SERVER-", "Offline carol")) == .offline(try name("carol")))
        #expect(try receive(&session, wireFrame("alice", "-SERVER-", "Error no")) == .serverError("no"))
        #expect(try receive(&session, wireFrame("alice", "-SERVER-", "Hello")) == .serverText("Hello"))
    }

    @Test(
        "a chat frame with our own id as SRC comes from its DEST (a server that swaps them), unless DEST is us or ALL")
    func swappedFrames() throws {
        var session = ClientProtocol(id: try name("bob"))
        _ = try receive(&session, wireFrame("bob", "-SERVER-", "Connected 5"))
        let hi = ByteBuffer(string: "hi")
        #expect(
            try receive(&session, wireFrame("alice", "bob", "hi"))
                == .message(from: try name("alice"), body: hi, broadcast: false))
        #expect(
            try receive(&session, wireFrame("bob", "bob", "hi"))
                == .message(from: try name("bob"), body: hi, broadcast: false))
        #expect(
            try receive(&session, wireFrame("ALL", "bob", "hi"))
                == .message(from: try name("bob"), body: hi, broadcast: true))
        #expect(
            try receive(&session, wireFrame("bob", "alice", "hi"))
                == .message(from: try name("alice"), body: hi, broadcast: false))
    }

    @Test(
        "Error before Connected is a refusal; a first frame not from -SERVER- an unexpected answer; both end the session"
    )
    func refusals() throws {
        var refused = ClientProtocol(id: try name("alice"))
        #expect(try receive(&refused, wireFrame("alice", "-SERVER-", "Error taken")) == .refused("taken"))
        #expect(refused.state == .closed)
        var odd = ClientProtocol(id: try name("alice"))
        #expect(try receive(&odd, wireFrame("alice", "bob", "Connected 5")) == .unexpectedAnswer("Connected 5"))
        #expect(odd.state == .closed)
    }

    @Test(
        "the answer to Connect as other servers word it: a bare number, Connected with no number, a greeting",
        arguments: [
            ("11      ", Duration?.some(.seconds(11)), String?.none),
            ("0.5", .milliseconds(500), nil),
            ("Connected 2 (send Alive every 2 s)", .seconds(2), nil),
            ("Connected", nil, nil),
            ("Connected as alice", nil, nil),
            ("Welcome, alice!", nil, "Welcome, alice!"),
        ])
    func lenientAnswers(body: String, interval: Duration?, greeting: String?) throws {
        var session = ClientProtocol(id: try name("alice"))
        let heartbeat = interval ?? ClientProtocol.defaultInterval
        #expect(
            try receive(&session, wireFrame("alice", "-SERVER-", body))
                == .connected(interval: interval, heartbeat: heartbeat, greeting: greeting))
        #expect(session.state == .online(heartbeat: heartbeat))
    }

    @Test("once online, server frames in other words are shown verbatim; our own words still parse")
    func serverTextOnline() throws {
        var session = ClientProtocol(id: try name("alice"))
        _ = try receive(&session, wireFrame("alice", "-SERVER-", "5"))
        for text in [
            "List of connected clients: alice, bob", "Online clients: a, b", "Offline: bob is not here", "List",
        ] {
            #expect(try receive(&session, wireFrame("alice", "-SERVER-", text)) == .serverText(text))
        }
        #expect(
            try receive(&session, wireFrame("alice", "-SERVER-", "List 1/1 alice"))
                == .list([try name("alice")], bytes: 31))
        #expect(try receive(&session, wireFrame("alice", "-SERVER-", "Offline bob")) == .offline(try name("bob")))
    }

    @Test(
        "refusals and intervals in other words; numbers out of range are no interval",
        arguments: [
            ("Error the id is taken", ConnectReply.refused("the id is taken")),
            ("Error: name taken", .refused("Error: name taken")),
            ("  ERROR   taken ", .refused("ERROR taken")),
            ("Connected 0", .connected(interval: nil)),
            ("Connected 100000", .connected(interval: nil)),
            ("0", .other("0")),
            ("Connected\t7\r\n", .connected(interval: .seconds(7))),
        ])
    func connectReplies(body: String, expected: ConnectReply) {
        #expect(ConnectReply.parse(ByteBuffer(string: body)) == expected)
    }

    @Test("a banner, then the interval: the heartbeat follows it once; a third answer is ignored")
    func lateInterval() throws {
        var session = ClientProtocol(id: try name("alice"))
        #expect(
            try receive(&session, wireFrame("alice", "-SERVER-", "Welcome!"))
                == .connected(interval: nil, heartbeat: ClientProtocol.defaultInterval, greeting: "Welcome!"))
        #expect(
            try receive(&session, wireFrame("alice", "-SERVER-", "Connected 2"))
                == .connected(interval: .seconds(2), heartbeat: .seconds(2), greeting: nil))
        #expect(session.state == .online(heartbeat: .seconds(2)))
        guard case .unreadable = try receive(&session, wireFrame("alice", "-SERVER-", "Connected 9")) else {
            Issue.record("a second interval was taken")
            return
        }
        #expect(try receive(&session, wireFrame("alice", "-SERVER-", "9")) == .serverText("9"))
        #expect(session.state == .online(heartbeat: .seconds(2)))

        var bare = ClientProtocol(id: try name("alice"))
        _ = try receive(&bare, wireFrame("alice", "-SERVER-", "Connected"))
        #expect(
            try receive(&bare, wireFrame("alice", "-SERVER-", "3"))
                == .connected(interval: .seconds(3), heartbeat: .seconds(3), greeting: nil))
    }
}
