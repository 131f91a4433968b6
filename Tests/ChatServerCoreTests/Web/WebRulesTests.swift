import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import Foundation
import NIOCore
import NIOWebSocket
import Testing

@testable import ChatServerCore

/// Every rule holds for WebSocket clients as for TCP ones: TLS (WSS with the server's
/// certificate), accounts, flood control.
@Suite("Web: TLS, accounts and flood control for WebSocket clients")
struct WebRulesTests {
    private static let web = WebSettings(address: HostPort(host: "127.0.0.1", port: 0))

    @Test("With a certificate, the web listener speaks WSS with it, and its clients chat with TLS clients")
    func secure() async throws {
        let tls = TLSServerSettings(
            certificateFile: TLSFixtures.path("server.pem"), keyFile: TLSFixtures.path("server.key"))
        try await withServer(tls: tls, web: Self.web) { server in
            let port = try #require(server.webAddress?.port)
            let alice = try await WebSocketTestClient.online("alice", port: port, trusting: TLSFixtures.path("ca.pem"))
            try await alice.send(to: "alice", from: "alice", "over wss")
            #expect(try await alice.nextChatSkippingLists().text == "over wss")
            try await alice.send(to: "-SERVER-", from: "alice", "Quit alice")
            try await alice.awaitClosed()
            let plain = try await WebSocketTestClient.connect(port: port)
            #expect(plain.handshake == nil, "no HTTP in clear on a TLS listener")
            await plain.close()
        }
    }

    @Test("With --users, a WebSocket Connect needs its account's password")
    func accounts() async throws {
        let users = try UsersFile.make(["alice": "secret"])
        defer { UsersFile.remove(users) }
        try await withServer(usersFile: users, web: Self.web) { server in
            let port = try #require(server.webAddress?.port)
            let wrong = try await WebSocketTestClient.connect(port: port)
            try await wrong.send(to: "-SERVER-", from: "alice", "Connect alice guess")
            #expect(try await wrong.nextChat().text == "Error authentication failed")
            try await wrong.awaitClosed()
            let right = try await WebSocketTestClient.connect(port: port)
            try await right.send(to: "-SERVER-", from: "alice", "Connect alice secret")
            #expect(try await right.nextChat().text.hasPrefix("Connected "))
            await right.close()
        }
    }

    @Test("A WebSocket client over its rate is paused, and everything it sent is delivered")
    func flood() async throws {
        var limits = Patience.floodLimits
        // 20 frames in one write against 2 at once and 10 a second: the server reads them together.
        limits.messagesPerSecond = 10
        limits.burst = 2
        try await withServer(flood: limits, metrics: true, web: Self.web) { server in
            let port = try #require(server.webAddress?.port)
            let alice = try await WebSocketTestClient.online("alice", port: port)
            try await alice.send(frames: (0..<20).map { wireFrame("alice", "alice", "\($0)") })
            for index in 0..<20 { #expect(try await alice.nextChatSkippingLists().text == "\(index)") }
            let metrics = try await PrometheusText.scrape(port: server.operationsAddress?.port ?? 0)
            #expect(metrics["chat255_flood_throttled_total"] >= 1)
            await alice.close()
        }
    }
}
