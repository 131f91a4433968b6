import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import NIOWebSocket
import Testing

/// How the server closes WebSocket connections, as hard as the plain TCP path is tested: a
/// client leaves the list as the close starts, whatever its socket does after (stops reading,
/// never answers the close frame); a peer that stops reading is cut as a slow consumer and
/// closed at the drain timeout; a connection that never upgrades (nothing sent, half a request)
/// is closed at the connect timeout and counts as waiting for `Connect`. The test client never
/// answers a close frame, so every close here is the server's own.
@Suite("Web: closing")
struct WebSocketCloseTests {
    private static let web = WebSettings(address: HostPort(host: "127.0.0.1", port: 0))

    @Test("Quit from a WebSocket peer that stops reading: the others' list changes at once, and the server closes")
    func quitThenStopReading() async throws {
        try await withServer(web: Self.web) { server in
            let port = try #require(server.webAddress?.port)
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await WebSocketTestClient.online("bob", port: port)
            try await alice.awaitList(["alice", "bob"])
            try await bob.setReading(false)
            try await bob.send(to: "-SERVER-", from: "bob", "Quit bob")
            try await alice.awaitList(["alice"])
            #expect(server.onlineNames.map(\.text) == ["alice"])
            try await bob.awaitClosed()
            await alice.close()
        }
    }

    @Test("A close the server starts sends Error, then a close frame, then closes without waiting for the answer")
    func serverClose() async throws {
        try await withServer(web: Self.web) { server in
            let port = try #require(server.webAddress?.port)
            let bob = try await WebSocketTestClient.online("bob", port: port)
            try await bob.send(.text, Array("not a frame".utf8))
            var frame = try await bob.next()
            while frame.opcode == .binary, String(buffer: frame.unmaskedData).contains("List ") {
                frame = try await bob.next()
            }
            #expect(frame.opcode == .binary && String(buffer: frame.unmaskedData).contains("Error text messages"))
            #expect(try await bob.next().opcode == .connectionClose)
            try await bob.awaitClosed()
            #expect(server.onlineNames.isEmpty)
        }
    }

    @Test("A WebSocket peer that stops reading is cut off as a slow consumer and de-listed")
    func slowConsumer() async throws {
        try await withServer(maxPendingBytes: 64 * 1024, web: Self.web) { server in
            let port = try #require(server.webAddress?.port)
            let alice = try await TestClient.online("alice", port: server.port)
            let dave = try await WebSocketTestClient.online("dave", port: port)
            try await alice.awaitList(["alice", "dave"])
            try await dave.setReading(false)
            let flood = try Frame(
                destination: ChatName(validating: "dave"), source: ChatName(validating: "alice"),
                text: String(repeating: "y", count: 200))
            try await waitUntil("dave cut off and de-listed") {
                for _ in 0..<64 { alice.channel.write(flood.wire, promise: nil) }
                try await alice.channel.writeAndFlush(ByteBuffer()).get()
                return !server.onlineNames.contains { $0.text == "dave" }
            }
            await alice.close()
            await dave.close()
        }
    }

    @Test(
        "Draining: a reading WebSocket client gets 'Error server shutting down' and a close; one that does not read is closed at the drain timeout"
    )
    func drain() async throws {
        var shutdown: Task<Void, Never>?
        try await withServer(maxPendingBytes: 256 << 20, drainTimeout: .seconds(1), web: Self.web) { server in
            let port = try #require(server.webAddress?.port)
            let alice = try await WebSocketTestClient.online("alice", port: port)
            let bob = try await WebSocketTestClient.online("bob", port: port)
            try await bob.setReading(false)
            let frame = wireFrame("bob", "alice", String(repeating: "x", count: 200))
            for _ in 0..<200 { try await alice.send(frames: Array(repeating: frame, count: 250)) }
            try await alice.send(to: "alice", from: "alice", "last before the drain")
            #expect(try await alice.nextChatSkippingLists().text == "last before the drain")
            shutdown = Task { await server.shutdown() }
            #expect(try await alice.nextChatSkippingLists().text == "Error server shutting down")
            #expect(try await alice.next().opcode == .connectionClose)
            try await alice.awaitClosed()
            await shutdown?.value  // bob never reads: the drain timeout closes him
            try await bob.setReading(true)  // to see the end of the stream
            try await bob.awaitClosed()
        }
    }

    @Test(
        "A connection to the web port that never upgrades, silent or half a request, is closed at the connect timeout")
    func noUpgrade() async throws {
        let clock = ManualServerClock()
        var limits = Patience.floodLimits
        limits.connectTimeout = .seconds(10)
        try await withServer(clock: clock, flood: limits, web: Self.web) { server in
            let port = try #require(server.webAddress?.port)
            let silent = try await TestClient.connect(port: port)
            let half = try await TestClient.connect(port: port)
            try await half.sendRaw(Array("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr".utf8))
            try await waitUntil("both life timers set") { clock.pendingTimers >= 2 }
            await clock.advance(by: .seconds(9))
            #expect(!silent.isClosed && !half.isClosed)
            await clock.advance(by: .seconds(1))
            try await silent.awaitClosed()
            try await half.awaitClosed()
        }
    }

    @Test("Over WSS, a TCP connection that never starts the TLS handshake is closed at the connect timeout")
    func noTLSHandshake() async throws {
        let clock = ManualServerClock()
        var limits = Patience.floodLimits
        limits.connectTimeout = .seconds(10)
        let tls = TLSServerSettings(
            certificateFile: TLSFixtures.path("server.pem"), keyFile: TLSFixtures.path("server.key"))
        try await withServer(clock: clock, flood: limits, tls: tls, web: Self.web) { server in
            let port = try #require(server.webAddress?.port)
            let silent = try await TestClient.connect(port: port)
            try await waitUntil("the life timer set") { clock.pendingTimers > 0 }
            await clock.advance(by: .seconds(9))
            #expect(!silent.isClosed)
            await clock.advance(by: .seconds(1))
            try await silent.awaitClosed()
        }
    }

    @Test("A connection to the web port that has not upgraded counts against --max-unregistered")
    func countsAsWaiting() async throws {
        var limits = Patience.floodLimits
        limits.waitingConnections = 1
        try await withServer(flood: limits, web: Self.web) { server in
            let port = try #require(server.webAddress?.port)
            let first = try await TestClient.connect(port: port)
            let second = try await TestClient.connect(port: port)
            try await waitUntil("one turned away") { first.isClosed || second.isClosed }
            #expect(first.isClosed != second.isClosed)
            await first.close()
            await second.close()
        }
    }
}
