import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Nodes as separate `chatserver` processes next to one in this process: a node killed with no
/// chance to say goodbye, a node stopped with SIGTERM, and the command line's errors.
@Suite("Cluster nodes as processes")
struct ClusterProcessTests {
    @Test("A node killed (SIGKILL): its clients leave the other nodes' lists within the lease and a second")
    func killedNode() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let lease = Patience.scaled(.seconds(1))
        try await ClusterNodes.with(1, redis: redis, lease: lease) { nodes in
            let (doomed, port) = try await startServer([
                "--cluster", redis.url, "--cluster-lease", Patience.scaledArgument(.seconds(1)), "--node-id", "doomed",
            ])
            defer { doomed.stop() }
            let (alice, bob) = try await ClusterNodes.aliceAndBob(alicePort: nodes[0].port, bobPort: port)
            defer {
                Task {
                    await alice.close(); await bob.close()
                }
            }
            // Wall-clock time, as the lease is: the time the machine kept this process waiting
            // (a full suite on two cores) is measured and not counted against the cluster.
            let stalls = StallMeter()
            let killed = ContinuousClock.now
            doomed.signal(SIGKILL)
            try await alice.awaitList(["alice"])
            let gone = ContinuousClock.now - killed
            let lost = stalls.stop()
            #expect(
                gone - lost <= lease + Patience.scaled(.seconds(1)),
                "bob left alice's list after \(gone), \(lost) of it lost to the machine")
            try await alice.send(to: "bob", from: "alice", "are you there?")
            #expect(String(buffer: try await alice.nextSkippingLists().body) == "Offline bob")
        }
    }

    @Test(
        "A node paused (SIGSTOP) past its lease forwards nothing on waking: its clients' waiting frames are dropped, what came for them is not delivered, they are told the cluster is unavailable"
    )
    func pausedNode() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        try await ClusterNodes.with(1, redis: redis, lease: Patience.scaled(.seconds(1))) { nodes in
            let a = nodes[0].port
            let (paused, b) = try await startServer([
                "--cluster", redis.url, "--cluster-lease", Patience.scaledArgument(.seconds(1)), "--node-id", "paused",
                "--alive-timeout", "600",
            ])
            defer { paused.stop() }
            let (oldAlice, bob) = try await TestClient.aliceAndBob(port: b, bobPort: a)
            // The other node knows alice is on this one (bob's lists before that are gone).
            try await bob.awaitList(["alice", "bob"])
            paused.signal(SIGSTOP)
            var resumed = false
            defer { if !resumed { paused.signal(SIGCONT) } }
            try await waitUntil("the node stopped") { paused.isStopped }
            // Sent while the node is frozen and still holds alice: it waits in the node's inbox.
            try await bob.send(to: "alice", from: "bob", "for the old alice")
            // The lease runs out; the other node reaps alice, and a new alice joins there.
            try await bob.awaitList(["bob"])
            let newAlice = try await ClusterNodes.admitted("alice", port: a)
            try await bob.awaitList(["alice", "bob"])
            // The old alice's socket on the frozen node holds a message to bob and one to ALL.
            try await oldAlice.send(to: "bob", from: "alice", "stale direct")
            try await oldAlice.send(to: "ALL", from: "alice", "stale broadcast")
            #expect(paused.isStopped, "nothing else woke the node")
            paused.signal(SIGCONT)
            resumed = true
            // Told, and given nothing that came for the id meanwhile.
            let told = try await oldAlice.nextSkippingLists()
            #expect(
                String(buffer: told.body) == "Error \(CloseReason.clusterUnavailableText)",
                "the woken node said: \(paused.stderr)")
            try await oldAlice.awaitClosed()
            // The woken node's path to the others is in order: what a new client of it sends
            // arrives after anything the old alice's frames could have become.
            let carol = try await ClusterNodes.admitted("carol", port: b)
            defer { Task { await carol.close() } }
            try await carol.send(to: "bob", from: "carol", "after the wake")
            try await carol.send(to: "ALL", from: "carol", "after the wake, to all")
            #expect(String(buffer: try await bob.nextSkippingLists().body) == "after the wake")
            #expect(String(buffer: try await bob.nextSkippingLists().body) == "after the wake, to all")
            #expect(String(buffer: try await newAlice.nextSkippingLists().body) == "after the wake, to all")
            await bob.close()
            await newAlice.close()
        }
    }

    @Test("A node stopped with SIGTERM releases its ids at once and exits 0")
    func terminatedNode() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let lease = Patience.scaled(.seconds(30))
        try await ClusterNodes.with(1, redis: redis, lease: lease) { nodes in
            let (leaving, port) = try await startServer([
                "--cluster", redis.url, "--cluster-lease", Patience.scaledArgument(.seconds(30)),
            ])
            defer { leaving.stop() }
            let (alice, bob) = try await ClusterNodes.aliceAndBob(alicePort: nodes[0].port, bobPort: port)
            defer {
                Task {
                    await alice.close(); await bob.close()
                }
            }
            let stopped = ContinuousClock.now
            leaving.signal(SIGTERM)
            try await alice.awaitList(["alice"])
            #expect(ContinuousClock.now - stopped < lease, "released, not expired")
            #expect(try await leaving.waitForExit() == 0)
            try await leaving.waitFor("left the cluster", inErrors: true)
        }
    }

    @Test(
        "Two live processes with one --node-id: the second exits 1 naming the id and the first's address; after a kill, a new one takes the id over once the lease ran out; after a clean stop, at once"
    )
    func duplicateNodeID() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let twin = [
            "--cluster", redis.url, "--cluster-lease", Patience.scaledArgument(.seconds(1)), "--node-id", "twin",
        ]
        let (first, firstPort) = try await startServer(twin)
        defer { first.stop() }
        let alice = try await ClusterNodes.admitted("alice", port: firstPort)
        defer { Task { await alice.close() } }
        let second = try await ProgramProcess("chatserver", ["--port", "0"] + twin)
        defer { second.stop() }
        #expect(try await second.waitForExit() == 1)
        #expect(second.stderr.contains("already node twin"), "\(second.stderr)")
        #expect(second.stderr.contains("serving at 127.0.0.1:\(firstPort)"), "\(second.stderr)")
        // The first one was not disturbed.
        try await alice.send(to: "alice", from: "alice", "still here")
        #expect(String(buffer: try await alice.nextSkippingLists().body) == "still here")

        // Killed: its lease runs out, and a new process with the id waits for that, then serves.
        first.signal(SIGKILL)
        let (third, thirdPort) = try await startServer(twin)
        defer { third.stop() }
        #expect(third.stderr.contains("held by an earlier process"), "it waited for the lease: \(third.stderr)")
        let bob = try await ClusterNodes.admitted("bob", port: thirdPort)
        await bob.close()

        // Stopped cleanly: the lease is released, and the next one starts without waiting.
        third.signal(SIGTERM)
        #expect(try await third.waitForExit() == 0)
        let (fourth, _) = try await startServer(twin)
        defer { fourth.stop() }
        #expect(!fourth.stderr.contains("held by an earlier process"), "\(fourth.stderr)")
    }

    @Test(
        "A node paused past its lease, its id taken by a new process meanwhile: on waking it takes nothing back and admits no one, and the new one keeps serving"
    )
    func pausedTwin() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        try await ClusterNodes.with(1, redis: redis, lease: Patience.scaled(.seconds(1))) { nodes in
            let twin = [
                "--cluster", redis.url, "--cluster-lease", Patience.scaledArgument(.seconds(1)), "--node-id", "twin",
                "--alive-timeout", "600",
            ]
            let (old, oldPort) = try await startServer(twin)
            defer { old.stop() }
            let watcher = try await TestClient.online("watcher", port: nodes[0].port)
            defer { Task { await watcher.close() } }
            let alice = try await ClusterNodes.admitted("alice", port: oldPort)
            try await watcher.awaitList(["alice", "watcher"])
            old.signal(SIGSTOP)
            var resumed = false
            defer { if !resumed { old.signal(SIGCONT) } }
            try await waitUntil("the node stopped") { old.isStopped }
            try await watcher.awaitList(["watcher"])
            let (new, newPort) = try await startServer(twin)
            defer { new.stop() }
            let bob = try await ClusterNodes.admitted("bob", port: newPort)
            defer { Task { await bob.close() } }
            try await watcher.awaitList(["bob", "watcher"])
            old.signal(SIGCONT)
            resumed = true
            try await old.waitFor("another process holds this node id's lease", inErrors: true)
            #expect(
                String(buffer: try await alice.nextSkippingLists().body)
                    == "Error \(CloseReason.clusterUnavailableText)")
            // The woken one admits no one; the new one's bob is still listed and reachable.
            let refused = try await TestClient.connect(port: oldPort)
            try await refused.sendRaw(wireFrame("-SERVER-", "carol", "Connect carol"))
            #expect(
                String(buffer: try await refused.nextSkippingLists().body)
                    == "Error \(CloseReason.clusterUnavailableText)")
            await refused.close()
            try await watcher.send(to: "bob", from: "watcher", "are you there?")
            #expect(String(buffer: try await bob.nextSkippingLists().body) == "are you there?")
            await alice.close()
        }
    }

    @Test("Bad cluster options and an unusable Redis stop chatserver before it listens, with a clear error")
    func badOptions() async throws {
        try await withServer { notRedis in
            let cases: [([String], String)] = [
                (["--cluster", "http://127.0.0.1:6379"], "does not start with redis://"),
                (["--cluster", "redis://127.0.0.1"], "has no port"),
                (["--cluster", "redis://127.0.0.1:6379", "--cluster-lease", "0.1"], "--cluster-lease must be"),
                (["--cluster", "redis://127.0.0.1:6379", "--node-id", "a b"], "--node-id must be"),
                (["--cluster", "redis://127.0.0.1:6379", "--cluster-name", ""], "--cluster-name must be"),
                (["--node-id", "n1"], "need --cluster"),
                (["--cluster-tls-ca", "ca.pem"], "need --cluster"),
                (["--cluster", "redis://127.0.0.1:6379", "--cluster-tls-ca", "ca.pem"], "need a rediss:// URL"),
                (["--cluster", "redis://127.0.0.1:\(notRedis.port)"], "does not answer like a Redis server"),
            ]
            for (arguments, expected) in cases {
                let server = try await ProgramProcess("chatserver", ["--port", "0"] + arguments)
                let code = try await server.waitForExit()
                #expect(code != 0, "\(arguments)")
                #expect(server.stderr.contains(expected), "\(arguments): \(server.stderr)")
                #expect(!server.stderr.contains("listening on"), "\(arguments)")
            }
        }
    }
}
