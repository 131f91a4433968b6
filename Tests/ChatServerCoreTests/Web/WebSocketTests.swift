import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import NIOWebSocket
import Testing

/// The web listener over real sockets: the page, the upgrade and its origin rule, and WebSocket
/// clients in one chat with TCP clients, every protocol rule included.
@Suite("Web: the page and WebSocket clients")
struct WebSocketTests {
    private static let web = WebSettings(address: HostPort(host: "127.0.0.1", port: 0))

    private static func webPort(_ server: ChatServer) throws -> Int {
        try #require(server.webAddress?.port)
    }

    @Test(
        "GET / serves the page, its script, style and heartbeat worker, each with a strict content policy; other paths 404, other methods 405"
    )
    func page() async throws {
        try await withServer(web: Self.web) { server in
            let port = try Self.webPort(server)
            let page = try await HTTPClient.request("/", port: port)
            #expect(page.status == 200)
            #expect(page.body.contains("<script src=\"chat.js\""))
            #expect(page.headers.contains { $0.0 == "Content-Security-Policy" && $0.1.contains("connect-src 'self'") })
            #expect(try await HTTPClient.request("/chat.js", port: port).status == 200)
            #expect(try await HTTPClient.request("/chat.css", port: port).status == 200)
            let worker = try await HTTPClient.request("/alive.js", port: port)
            #expect(worker.status == 200 && worker.body.contains("postMessage"), "the heartbeat's worker")
            #expect(page.headers.contains { $0.0 == "Content-Security-Policy" && $0.1.contains("worker-src 'self'") })
            #expect(try await HTTPClient.request("/nowhere", port: port).status == 404)
            #expect(try await HTTPClient.request("/", method: .POST, port: port).status == 405)
            #expect(try await HTTPClient.request("/ws", port: port).status == 426, "a plain GET of /ws")
        }
    }

    @Test("A WebSocket client and a TCP client are one chat: lists, messages both ways, ALL, Offline")
    func oneChat() async throws {
        try await withServer(web: Self.web) { server in
            let port = try Self.webPort(server)
            let alice = try await WebSocketTestClient.online("alice", port: port)
            let bob = try await TestClient.online("bob", port: server.port)
            try await bob.awaitList(["alice", "bob"])
            try await alice.send(to: "bob", from: "alice", "hi bob")
            #expect(try await bob.nextSkippingLists().text == "hi bob")
            try await bob.send(to: "alice", from: "bob", "hi alice")
            let received = try await alice.nextChatSkippingLists()
            #expect(received.text == "hi alice" && received.source.description == "bob")
            try await bob.send(to: "ALL", from: "bob", "to everyone")
            #expect(try await alice.nextChatSkippingLists().text == "to everyone")
            try await alice.send(to: "ALL", from: "alice", "and back")
            #expect(try await bob.nextSkippingLists().text == "and back")
            try await alice.send(to: "carol", from: "alice", "anyone?")
            #expect(try await alice.nextChatSkippingLists().text == "Offline carol")
            try await alice.send(to: "-SERVER-", from: "alice", "Quit alice")
            try await alice.awaitClosed()
            try await bob.awaitList(["bob"])
            await bob.close()
        }
    }

    @Test(
        "A message that is not one binary frame is an Error and a close, as a malformed frame on TCP",
        arguments: [
            ("text", [UInt8]()),
            ("two frames", wireFrame("alice", "alice", "one") + wireFrame("alice", "alice", "two")),
            ("half a frame", Array(wireFrame("alice", "alice", "cut").prefix(10))),
            ("over 256 bytes", Array(repeating: UInt8(ascii: "x"), count: 300)),
        ])
    func badMessages(kind: String, bytes: [UInt8]) async throws {
        try await withServer(web: Self.web) { server in
            let port = try Self.webPort(server)
            let alice = try await WebSocketTestClient.online("alice", port: port)
            if kind == "text" {
                try await alice.send(.text, Array("hello".utf8))
            } else {
                try await alice.send(.binary, bytes)
            }
            let error = try await alice.nextChatSkippingLists()
            #expect(error.text.hasPrefix("Error "), "\(kind): \(error.text)")
            try await alice.awaitClosed()
        }
    }

    @Test("Fragments make one message: within 256 bytes it is a frame; past 256 bytes, an Error and a close")
    func fragments() async throws {
        try await withServer(web: Self.web) { server in
            let port = try Self.webPort(server)
            let alice = try await WebSocketTestClient.online("alice", port: port)
            let frame = wireFrame("alice", "alice", "in three parts")
            try await alice.send(.binary, Array(frame[0..<5]), fin: false)
            try await alice.send(.continuation, Array(frame[5..<20]), fin: false)
            try await alice.send(.continuation, Array(frame[20...]), fin: true)
            #expect(try await alice.nextChatSkippingLists().text == "in three parts")
            try await alice.send(.binary, Array(repeating: 0x41, count: 100), fin: false)
            try await alice.send(.continuation, Array(repeating: 0x41, count: 100), fin: false)
            try await alice.send(.continuation, Array(repeating: 0x41, count: 100), fin: false)
            let error = try await alice.nextChatSkippingLists()
            #expect(error.text == "Error a message over 256 bytes is not a chat255 frame")
            try await alice.awaitClosed()
        }
    }

    @Test("Origin: the page's own origin and no Origin are let in, another origin is refused unless allowed")
    func origins() async throws {
        var web = Self.web
        web.allowedOrigins = ["https://chat.example.com"]
        try await withServer(web: web) { server in
            let port = try Self.webPort(server)
            for (origin, status) in [
                ("http://127.0.0.1:\(port)", 101), (nil, 101), ("https://chat.example.com", 101),
                ("https://evil.example", 403), ("http://127.0.0.1:1", 403),
            ] as [(String?, Int)] {
                let client = try await WebSocketTestClient.connect(port: port, origin: origin)
                #expect(client.handshake?.status == status, "\(origin ?? "no origin")")
                await client.close()
            }
        }
    }

    @Test("Subprotocol chat255 is answered; a client that offers only others is refused; the accept key is RFC 6455's")
    func subprotocol() async throws {
        try await withServer(web: Self.web) { server in
            let port = try Self.webPort(server)
            let chat = try await WebSocketTestClient.connect(port: port)
            #expect(chat.handshake?.headers["sec-websocket-protocol"] == "chat255")
            // RFC 6455, section 1.3: the sample key's accept value.
            #expect(chat.handshake?.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            await chat.close()
            let other = try await WebSocketTestClient.connect(port: port, subprotocol: "mqtt")
            #expect(other.handshake?.status == 400)
            await other.close()
            // Tokens compare case-sensitively: CHAT255 is another subprotocol.
            let shouting = try await WebSocketTestClient.connect(port: port, subprotocol: "CHAT255")
            #expect(shouting.handshake?.status == 400)
            await shouting.close()
            let none = try await WebSocketTestClient.connect(port: port, subprotocol: nil)
            #expect(none.handshake?.status == 101)
            #expect(none.handshake?.headers["sec-websocket-protocol"] == nil)
            await none.close()
        }
    }

    @Test("A ping is answered with a pong; a close is answered and the client leaves the list")
    func pingAndClose() async throws {
        try await withServer(web: Self.web) { server in
            let port = try Self.webPort(server)
            let alice = try await WebSocketTestClient.online("alice", port: port)
            let bob = try await TestClient.online("bob", port: server.port)
            try await bob.awaitList(["alice", "bob"])
            try await alice.send(.ping, Array("are you there".utf8))
            var frame = try await alice.next()
            while frame.opcode == .binary { frame = try await alice.next() }
            #expect(frame.opcode == .pong)
            #expect(String(buffer: frame.unmaskedData) == "are you there")
            try await alice.send(.connectionClose, [0x03, 0xE8])
            try await alice.awaitClosed()
            try await bob.awaitList(["bob"])
            await bob.close()
        }
    }

    @Test("chatserver --web-address: a WebSocket client and chatclient talk; --web-allowed-origin from a --config list")
    func program() async throws {
        // alice sends no Alive: not retired however long the chatclient takes to start.
        let (server, port) = try await startServer([
            "--alive-timeout", "600", "--web-address", "127.0.0.1:0", "--web-allowed-origin", "https://one.example",
            "--web-allowed-origin", "https://two.example",
        ])
        defer { server.stop() }
        try await server.waitFor("transport=websocket", inErrors: true)
        let line = try #require(
            server.stderr.split(separator: "\n").first { $0.contains("transport=websocket") })
        let web = try #require(line.split(separator: ":").last.flatMap { Int($0) })
        let alice = try await WebSocketTestClient.online("alice", port: web)
        let other = try await WebSocketTestClient.connect(port: web, origin: "https://two.example")
        #expect(other.handshake?.status == 101)
        await other.close()
        let client = try await ProgramProcess("chatclient", ["bob", "--port", "\(port)"])
        defer { client.stop() }
        do {
            try await client.waitFor("online (2): alice bob")
        } catch {
            throw TestFailure("\(error)\nchatclient's errors: \(client.stderr)\nchatserver: \(server.stderr)")
        }
        try await alice.send(to: "bob", from: "alice", "hello from the web")
        try await client.waitFor("hello from the web")
        await alice.close()

        let printed = try await ProgramProcess(
            "chatserver", ["--print-config"],
            environment: [
                "CHAT255_WEB_ADDRESS": "127.0.0.1:8080",
                "CHAT255_WEB_ALLOWED_ORIGIN": "https://a.example,https://b.example",
            ])
        #expect(try await printed.waitForExit() == 0)
        #expect(printed.stdout.contains("\"web-address\" : \"127.0.0.1:8080\""))
        #expect(printed.stdout.contains("https://b.example"))
    }
}
