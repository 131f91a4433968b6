import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOConcurrencyHelpers
import RESP
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `--metrics-address` over real sockets: a real HTTP client scrapes `/metrics`, and the
/// format's reference parser reads it (`PrometheusText`); counters move by exactly what the
/// test did.
@Suite("Operations: metrics and health")
struct MetricsTests {
    private static func scrape(_ server: ChatServer) async throws -> PrometheusText {
        let response = try await HTTPClient.request("/metrics", port: server.operationsAddress?.port ?? 0)
        #expect(response.status == 200)
        #expect(response.headers.contains { $0.0 == "Content-Type" && $0.1.hasPrefix("text/plain; version=0.0.4") })
        return try PrometheusText(parsing: response.body)
    }

    @Test("Counters move by exactly what the clients did: messages, ALL, Offline, joins, bytes, lists")
    func exactCounters() async throws {
        try await withServer(metrics: true) { server in
            let before = try await Self.scrape(server)
            #expect(before.types["chat255_messages_forwarded"] == "counter")
            #expect(before.types["chat255_clients_online"] == "gauge")
            #expect(before["chat255_connects_total"] == 0)
            let (alice, bob) = try await TestClient.aliceAndBob(port: server.port)
            defer {
                Task {
                    await alice.close(); await bob.close()
                }
            }
            for index in 0..<1_000 {
                try await alice.send(to: "bob", from: "alice", "message \(index)")
            }
            for _ in 0..<10 { try await bob.send(to: "ALL", from: "bob", "to all") }
            try await alice.send(to: "carol", from: "alice", "nobody")
            var seen = 0
            while seen < 1_000 {
                if try await bob.nextSkippingLists().text.hasPrefix("message ") { seen += 1 }
            }
            var all = 0
            var offline = 0
            while all < 10 || offline < 1 {
                let text = try await alice.nextSkippingLists().text
                if text == "to all" { all += 1 } else if text == "Offline carol" { offline += 1 }
            }
            let after = try await Self.scrape(server)
            #expect(after["chat255_messages_forwarded_total"] - before["chat255_messages_forwarded_total"] == 1_000)
            #expect(after["chat255_broadcasts_total"] - before["chat255_broadcasts_total"] == 10)
            #expect(after["chat255_offline_replies_total"] - before["chat255_offline_replies_total"] == 1)
            #expect(after["chat255_connects_total"] == 2)
            #expect(after["chat255_clients_online"] == 2)
            #expect(after["chat255_connections_open"] == 2)
            #expect(after["chat255_list_pushes_total"] >= 1)
            #expect(after["chat255_list_bytes_total"] > 0)
            // At least the bytes of the frames themselves went each way.
            #expect(after["chat255_bytes_received_total"] >= 1_000 * 26)
            #expect(after["chat255_bytes_sent_total"] >= 1_000 * 26)
        }
    }

    @Test("Socket bytes and list bytes move by exactly what crossed the sockets")
    func exactBytes() async throws {
        try await withServer(metrics: true) { server in
            let (alice, bob) = try await TestClient.aliceAndBob(port: server.port)
            try await bob.awaitList(["alice", "bob"])
            let before = try await Self.scrape(server)
            var bytes = 0
            for index in 0..<1_000 {
                let frame = wireFrame("bob", "alice", "message \(index)")
                bytes += frame.count
                try await alice.sendRaw(frame)
            }
            for _ in 0..<1_000 { _ = try await bob.next() }
            let after = try await Self.scrape(server)
            #expect(after["chat255_bytes_received_total"] - before["chat255_bytes_received_total"] == Double(bytes))
            #expect(after["chat255_bytes_sent_total"] - before["chat255_bytes_sent_total"] == Double(bytes))
            #expect(after["chat255_list_pushes_total"] == before["chat255_list_pushes_total"], "nobody came or went")

            let carol = try await TestClient.connect(port: server.port)
            try await carol.send(to: "-SERVER-", from: "carol", "Connect carol")
            #expect(try await carol.next().text.hasPrefix("Connected "))
            var listBytes = 0
            for client in [alice, bob, carol] {
                let list = try await client.next()
                #expect(list.text == "List 1/1 alice bob carol")
                listBytes += 16 + list.text.utf8.count + 1
            }
            let joined = try await Self.scrape(server)
            #expect(joined["chat255_list_pushes_total"] - after["chat255_list_pushes_total"] == 1, "one push")
            #expect(joined["chat255_list_bytes_total"] - after["chat255_list_bytes_total"] == Double(listBytes))
            for client in [alice, bob, carol] { await client.close() }
        }
    }

    @Test("Refused Connects are counted by reason; malformed input is a protocol error")
    func refusals() async throws {
        try await withServer(maxClients: 2, metrics: true) { server in
            let alice = try await TestClient.online("alice", port: server.port)
            defer { Task { await alice.close() } }
            let taken = try await TestClient.connect(port: server.port)
            try await taken.send(to: "-SERVER-", from: "alice", "Connect alice")
            #expect(try await taken.next().text == "Error the id 'alice' is already online")
            let reserved = try await TestClient.connect(port: server.port)
            try await reserved.send(to: "-SERVER-", from: "ALL", "Connect ALL")
            #expect(try await reserved.next().text == "Error 'ALL' is a reserved name")
            let invalid = try await TestClient.connect(port: server.port)
            try await invalid.send(to: "-SERVER-", from: "toolong", "Connect toolongname")
            #expect(try await invalid.next().text.hasPrefix("Error the first frame must be 'Connect <id>'"))
            let bob = try await TestClient.online("bob", port: server.port)
            defer { Task { await bob.close() } }
            let full = try await TestClient.connect(port: server.port)
            try await full.send(to: "-SERVER-", from: "carol", "Connect carol")
            #expect(try await full.next().text == "Error the server is full (2 clients)")
            let broken = try await TestClient.connect(port: server.port)
            try await broken.sendRaw(Array(repeating: UInt8(ascii: "x"), count: 300))
            try await broken.awaitClosed()
            for client in [taken, reserved, invalid, full] { try await client.awaitClosed() }
            let metrics = try await Self.scrape(server)
            #expect(metrics["chat255_connects_refused_total{reason=\"name_taken\"}"] == 1)
            #expect(
                metrics["chat255_connects_refused_total{reason=\"bad_name\"}"] == 2, "a reserved id, an invalid one")
            #expect(metrics["chat255_connects_refused_total{reason=\"server_full\"}"] == 1)
            #expect(metrics["chat255_connects_refused_total{reason=\"auth_failed\"}"] == 0)
            #expect(metrics["chat255_protocol_errors_total"] == 1)
            #expect(metrics["chat255_connects_total"] == 2)
            #expect(metrics["chat255_connections_open"] == 2)
        }
    }

    @Test("/healthz and /readyz answer 200; other paths 404, other methods 405")
    func health() async throws {
        try await withServer(metrics: true) { server in
            let port = server.operationsAddress?.port ?? 0
            #expect(try await HTTPClient.request("/healthz", port: port).status == 200)
            let ready = try await HTTPClient.request("/readyz", port: port)
            #expect(ready.status == 200 && ready.body == "ready\n")
            #expect(try await HTTPClient.request("/nowhere", port: port).status == 404)
            #expect(try await HTTPClient.request("/metrics", method: .POST, port: port).status == 405)
        }
    }

    @Test("A cluster node whose Redis is gone is not ready, says why, and its metrics say the backbone is down")
    func backboneLoss() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        var cluster = ClusterConfiguration(endpoint: try RESPTarget(url: redis.url), nodeID: "watched")
        cluster.lease = Patience.scaled(.seconds(2))
        try await withServer(cluster: cluster, metrics: true) { server in
            let port = server.operationsAddress?.port ?? 0
            try await waitUntil("ready with Redis up") {
                (try? await HTTPClient.request("/readyz", port: port).status) == 200
            }
            var metrics = try await Self.scrape(server)
            #expect(metrics["chat255_cluster_backbone_up"] == 1)
            #expect(metrics["chat255_cluster_nodes"] == 1)
            #expect(metrics.types["chat255_cluster_backbone_latency_seconds"] == "histogram")
            redis.stop()
            try await waitUntil("not ready once Redis is gone") {
                (try? await HTTPClient.request("/readyz", port: port).status) == 503
            }
            let answer = try await HTTPClient.request("/readyz", port: port)
            #expect(answer.body.hasPrefix("not ready: "))
            #expect(try await HTTPClient.request("/healthz", port: port).status == 200, "the process still serves")
            metrics = try await Self.scrape(server)
            #expect(metrics["chat255_cluster_backbone_up"] == 0)
            let refused = try await TestClient.connect(port: server.port)
            try await refused.send(to: "-SERVER-", from: "alice", "Connect alice")
            #expect(try await refused.next().text == "Error cluster unavailable")
            try await refused.awaitClosed()
            metrics = try await Self.scrape(server)
            #expect(metrics["chat255_connects_refused_total{reason=\"cluster_unavailable\"}"] == 1)
        }
    }

    @Test("Between two nodes: every publish one node counts is a message the other counts received")
    func clusterTraffic() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let first = try ClusterNodes.configuration(redis: redis, id: "first", lease: Patience.scaled(.seconds(10)))
        let second = try ClusterNodes.configuration(redis: redis, id: "second", lease: Patience.scaled(.seconds(10)))
        try await withServer(cluster: first, metrics: true) { one in
            try await withServer(cluster: second, metrics: true) { two in
                let (alice, bob) = try await TestClient.aliceAndBob(port: one.port, bobPort: two.port)
                let before = (try await Self.scrape(one), try await Self.scrape(two))
                for index in 0..<100 { try await alice.send(to: "bob", from: "alice", "hello \(index)") }
                for index in 0..<100 { #expect(try await bob.nextSkippingLists().text == "hello \(index)") }
                let after = (try await Self.scrape(one), try await Self.scrape(two))
                let published =
                    after.0["chat255_cluster_published_total"] - before.0["chat255_cluster_published_total"]
                let received = after.1["chat255_cluster_received_total"] - before.1["chat255_cluster_received_total"]
                #expect(published >= 1)
                #expect(published == received, "each publish arrived once")
                #expect(
                    after.0["chat255_messages_forwarded_total"] - before.0["chat255_messages_forwarded_total"] == 100)
                #expect(after.0["chat255_cluster_nodes"] == 2)
                await alice.close()
                await bob.close()
            }
        }
    }

    @Test(
        "A cluster node whose subscription silently stops delivering is not ready within the lease and subscribes again until one delivers"
    )
    func stalledSubscription() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let proxy = try await StallingProxy.start(to: redis.port)
        var cluster = ClusterConfiguration(
            endpoint: try RESPTarget(url: "redis://127.0.0.1:\(proxy.port)"), nodeID: "stalled")
        cluster.lease = Patience.scaled(.seconds(2))
        do {
            try await withServer(cluster: cluster, metrics: true) { server in
                let port = server.operationsAddress?.port ?? 0
                let last = NIOLockedValueBox("")
                do {
                    try await waitUntil("ready") {
                        let answer = try? await HTTPClient.request("/readyz", port: port)
                        last.withLockedValue { $0 = answer?.body ?? "no answer" }
                        return answer?.status == 200
                    }
                } catch {
                    throw TestFailure("\(error); /readyz said: \(last.withLockedValue { $0 })")
                }
                #expect(proxy.stallSubscriptions() == 1, "the node's one subscription")
                // While the path stays broken, the node stays not ready and tries new subscriptions.
                try await waitUntil("a new subscription tried") { proxy.stalledCount >= 2 }
                let answer = try await HTTPClient.request("/readyz", port: port)
                #expect(
                    answer.body
                        == "not ready: the backbone delivers nothing: a message to this node has not come back within the lease\n"
                )
                #expect(try await HTTPClient.request("/healthz", port: port).status == 200)
                proxy.release()
                try await waitUntil("ready again on a subscription that delivers") {
                    (try? await HTTPClient.request("/readyz", port: port).status) == 200
                }
            }
        } catch {
            await proxy.stop()
            throw error
        }
        await proxy.stop()
    }
}

/// Draining over real sockets: readiness goes at once, readers get their last frame, a peer that
/// does not read is closed at the drain timeout.
@Suite("Operations: draining")
struct DrainTests {
    @Test(
        "Shutdown: /readyz says 503 at once, a reader gets every message then 'Error server shutting down', a non-reader is closed at the drain timeout"
    )
    func drain() async throws {
        var shutdown: Task<Void, Never>?
        try await withServer(maxPendingBytes: 256 << 20, metrics: true, drainTimeout: .seconds(1)) { server in
            let port = server.operationsAddress?.port ?? 0
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            try await alice.awaitList(["alice", "bob"])
            // bob stops reading; alice sends him more than the sockets between them hold.
            try await bob.setReading(false)
            let body = String(repeating: "x", count: 200)
            for _ in 0..<400 {
                try await alice.sendRaw(Array(repeating: wireFrame("bob", "alice", body), count: 250).flatMap { $0 })
            }
            try await alice.send(to: "alice", from: "alice", "last before the drain")
            #expect(try await alice.nextSkippingLists().text == "last before the drain")
            shutdown = Task { await server.shutdown() }
            try await waitUntil("not ready once the drain has begun") {
                (try? await HTTPClient.request("/readyz", port: port))?.body == "not ready: shutting down\n"
            }
            #expect(try await alice.nextSkippingLists().text == "Error server shutting down")
            try await alice.awaitClosed()
            // bob never reads: the drain timeout closes him, and the shutdown ends.
            let start = ContinuousClock.now
            await shutdown?.value
            #expect(ContinuousClock.now - start < Patience.guardTime)
            try await bob.setReading(true)
            try await bob.awaitClosed()
        }
    }
}

/// Draining the `chatserver` process on a signal.
@Suite("Operations: draining on a signal")
struct SignalDrainTests {
    @Test(
        "SIGINT drains chatserver: /readyz says 503 at once, a slow reader still gets every message then 'Error server shutting down', exit 0"
    )
    func interrupt() async throws {
        let (server, port) = try await startServer([
            "--metrics-address", "127.0.0.1:0", "--drain-timeout", "600", "--max-pending-bytes", "\(256 << 20)",
            // bob, who does not read, sends nothing either: not retired however slow the machine.
            "--alive-timeout", "600",
        ])
        defer { server.stop() }
        let operations = try #require(server.operationsPort)
        let alice = try await TestClient.online("alice", port: port)
        let bob = try await TestClient.online("bob", port: port)
        try await alice.awaitList(["alice", "bob"])
        try await bob.awaitList(["alice", "bob"])
        // bob stops reading; alice sends him more than the sockets between them hold.
        try await bob.setReading(false)
        let frames = 100_000
        let frame = wireFrame("bob", "alice", String(repeating: "x", count: 200))
        for _ in 0..<(frames / 250) { try await alice.sendRaw(Array(repeating: frame, count: 250).flatMap { $0 }) }
        try await alice.send(to: "alice", from: "alice", "last before the drain")
        #expect(try await alice.nextSkippingLists().text == "last before the drain")
        server.signal(SIGINT)
        try await waitUntil("not ready once the drain has begun") {
            (try? await HTTPClient.request("/readyz", port: operations))?.body == "not ready: shutting down\n"
        }
        #expect(try await alice.nextSkippingLists().text == "Error server shutting down")
        try await alice.awaitClosed()
        try await bob.setReading(true)
        // A list push may come between them (alice's leaving, written once bob's socket drains).
        for _ in 0..<frames { #expect(try await bob.nextSkippingLists().text.count == 200) }
        #expect(try await bob.nextSkippingLists().text == "Error server shutting down")
        try await bob.awaitClosed()
        #expect(try await server.waitForExit() == 0)
    }
}

/// Draining a cluster node: its ids go at once, not when its last connection closes.
@Suite("Operations: draining a cluster node")
struct ClusterDrainTests {
    @Test("A draining node gives its clients' ids back as it tells them, while a non-reader still holds the drain open")
    func idsGoFirst() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        var first = ClusterConfiguration(endpoint: try RESPTarget(url: redis.url), nodeID: "stays")
        first.lease = Patience.scaled(.seconds(10))
        var second = first
        second.nodeID = "drains"
        try await withServer(cluster: first) { staying in
            try await withServer(maxPendingBytes: 256 << 20, cluster: second, drainTimeout: .seconds(30)) { draining in
                let alice = try await TestClient.online("alice", port: staying.port)
                let bob = try await TestClient.online("bob", port: draining.port)
                defer {
                    Task {
                        await alice.close(); await bob.close()
                    }
                }
                try await alice.awaitList(["alice", "bob"])
                // bob stops reading, and his node holds more for him than the sockets take.
                try await bob.setReading(false)
                let carol = try await TestClient.online("carol", port: draining.port)
                defer { Task { await carol.close() } }
                let body = String(repeating: "x", count: 200)
                for _ in 0..<400 {
                    try await carol.sendRaw(
                        Array(repeating: wireFrame("bob", "carol", body), count: 250).flatMap { $0 })
                }
                try await carol.send(to: "carol", from: "carol", "sent")
                #expect(try await carol.nextSkippingLists().text == "sent")
                let drained = NIOLockedValueBox(false)
                let shutdown = Task {
                    await draining.shutdown()
                    drained.withLockedValue { $0 = true }
                }
                // bob's last frame cannot be written for 30 s, yet the other node lists him gone now.
                try await alice.awaitList(["alice"])
                #expect(!drained.withLockedValue { $0 }, "the ids went before the drain ended")
                try await bob.setReading(true)
                await shutdown.value
                try await bob.awaitClosed()
            }
        }
    }
}
