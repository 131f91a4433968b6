import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import Foundation
import NIOCore
import Testing

@testable import ChatServerCore

/// The counters of closes and limits, each moved by exactly what the test did, read from
/// `/metrics` by the format's reference parser.
@Suite("Operations: counters of closes and limits")
struct CounterTests {
    private static func scrape(_ server: ChatServer) async throws -> PrometheusText {
        try await PrometheusText.scrape(port: server.operationsAddress?.port ?? 0)
    }

    @Test("A silent client is retired; a wrong password is a failed login and an auth_failed refusal")
    func retiredAndLogins() async throws {
        let users = try UsersFile.make(["alice": "right"])
        defer { UsersFile.remove(users) }
        let clock = ManualServerClock()
        try await withServer(clock: clock, usersFile: users, metrics: true) { server in
            let wrong = try await TestClient.connect(port: server.port)
            try await wrong.send(to: "-SERVER-", from: "alice", "Connect alice wrong")
            #expect(try await wrong.next().text == "Error authentication failed")
            try await wrong.awaitClosed()
            let alice = try await TestClient.connect(port: server.port)
            try await alice.send(to: "-SERVER-", from: "alice", "Connect alice right")
            #expect(try await alice.next().text.hasPrefix("Connected "))
            await clock.advance(by: TimeAmount(Patience.aliveTimeout) + .seconds(1))
            try await alice.awaitClosed()
            let metrics = try await Self.scrape(server)
            #expect(metrics["chat255_logins_failed_total"] == 1)
            #expect(metrics["chat255_connects_refused_total{reason=\"auth_failed\"}"] == 1)
            #expect(metrics["chat255_connects_total"] == 1)
            #expect(metrics["chat255_clients_retired_total"] == 1)
            #expect(metrics["chat255_clients_online"] == 0)
        }
    }

    @Test("Past five failed logins from one address, a Connect is refused as throttled")
    func loginThrottle() async throws {
        let users = try UsersFile.make(["alice": "right"])
        defer { UsersFile.remove(users) }
        try await withServer(clock: ManualServerClock(), usersFile: users, metrics: true) { server in
            for _ in 0..<5 {
                let wrong = try await TestClient.connect(port: server.port)
                try await wrong.send(to: "-SERVER-", from: "alice", "Connect alice wrong")
                #expect(try await wrong.next().text == "Error authentication failed")
                try await wrong.awaitClosed()
            }
            let sixth = try await TestClient.connect(port: server.port)
            try await sixth.send(to: "-SERVER-", from: "alice", "Connect alice right")
            #expect(try await sixth.next().text == "Error too many failed logins")
            try await sixth.awaitClosed()
            let metrics = try await Self.scrape(server)
            #expect(metrics["chat255_connects_refused_total{reason=\"auth_failed\"}"] == 5)
            #expect(metrics["chat255_connects_refused_total{reason=\"throttled\"}"] == 1)
            #expect(metrics["chat255_logins_failed_total"] == 5)
        }
    }

    @Test("Over the per-address cap, a connection is refused as address_limit")
    func addressLimit() async throws {
        var limits = Patience.floodLimits
        limits.clientsPerAddress = 1
        try await withServer(flood: limits, metrics: true) { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let second = try await TestClient.connect(port: server.port)
            #expect(try await second.next().text == "Error too many connections from your address (1)")
            try await second.awaitClosed()
            let metrics = try await Self.scrape(server)
            #expect(metrics["chat255_connects_refused_total{reason=\"address_limit\"}"] == 1)
            await alice.close()
        }
    }

    @Test("Without the client certificate the server requires, a Connect is refused as certificate")
    func certificateRequired() async throws {
        var tls = TLSServerSettings(
            certificateFile: TLSFixtures.path("server.pem"), keyFile: TLSFixtures.path("server.key"))
        tls.clientCAFile = TLSFixtures.path("ca.pem")
        tls.port = 0  // and a plain listener beside it, where no certificate can be shown
        try await withServer(tls: tls, metrics: true) { server in
            let plain = try await TestClient.connect(port: server.port)
            try await plain.send(to: "-SERVER-", from: "alice", "Connect alice")
            #expect(try await plain.next().text == "Error a client certificate is required: connect with TLS")
            try await plain.awaitClosed()
            let metrics = try await Self.scrape(server)
            #expect(metrics["chat255_connects_refused_total{reason=\"certificate\"}"] == 1)
        }
    }

    @Test("A client that does not read is cut as a slow consumer")
    func slowConsumer() async throws {
        try await withServer(maxPendingBytes: 65_536, metrics: true) { server in
            let (alice, bob) = try await TestClient.aliceAndBob(port: server.port)
            defer {
                Task {
                    await alice.close(); await bob.close()
                }
            }
            try await bob.setReading(false)
            // Far more than 64 KB and the sockets between them hold.
            let frame = wireFrame("bob", "alice", String(repeating: "x", count: 200))
            for _ in 0..<40 {
                try await alice.sendRaw(Array(repeating: frame, count: 1_000).flatMap { $0 })
            }
            try await waitUntil("bob cut as a slow consumer") {
                (try? await Self.scrape(server))?["chat255_slow_consumers_cut_total"] == 1
            }
            #expect(try await Self.scrape(server)["chat255_clients_online"] == 1, "bob left as his close began")
        }
    }

    @Test("A client over its rate is paused, and each pause is counted")
    func throttled() async throws {
        var limits = Patience.floodLimits
        limits.messagesPerSecond = 100
        limits.burst = 10
        try await withServer(flood: limits, metrics: true) { server in
            let alice = try await TestClient.online("alice", port: server.port)
            defer { Task { await alice.close() } }
            try await alice.sendRaw((0..<50).flatMap { wireFrame("alice", "alice", "\($0)") })
            for _ in 0..<50 { _ = try await alice.nextSkippingLists() }
            let metrics = try await Self.scrape(server)
            #expect(metrics["chat255_flood_throttled_total"] >= 1)
            #expect(metrics["chat255_messages_forwarded_total"] == 50)
        }
    }

    @Test("A TLS handshake that fails is counted")
    func handshakeFailure() async throws {
        let tls = TLSServerSettings(
            certificateFile: TLSFixtures.path("server.pem"), keyFile: TLSFixtures.path("server.key"))
        try await withServer(tls: tls, metrics: true) { server in
            let plain = try await TestClient.connect(port: server.port)
            try await plain.sendRaw(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            try await plain.awaitClosed()
            try await waitUntil("the failed handshake counted") {
                (try? await Self.scrape(server))?["chat255_tls_handshake_failures_total"] == 1
            }
        }
    }
}
