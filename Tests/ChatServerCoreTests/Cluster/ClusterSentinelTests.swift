import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import Foundation
import RESP
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The backbone behind Redis Sentinel (`redis-sentinel://`), against a real primary, replica
/// and three sentinels: the nodes follow a failover, and a promoted replica that lacks the last
/// claims gives no id away twice.
@Suite("Cluster: Redis Sentinel")
struct ClusterSentinelTests {
    /// Node `id` of the cluster behind `set`'s sentinels.
    private static func configuration(_ set: RedisSentinelSet, id: String) throws -> ClusterConfiguration {
        var cluster = ClusterConfiguration(endpoint: try RESPTarget(url: set.url), nodeID: id)
        cluster.lease = Patience.scaled(.seconds(10))
        return cluster
    }

    /// Whether a Connect as `name` on `port` is answered `Connected`.
    private static func admits(_ name: String, port: Int) async throws -> Bool {
        let client = try await TestClient.connect(port: port)
        defer { Task { await client.close() } }
        try await client.send(to: "-SERVER-", from: name, "Connect \(name)")
        let reply = try await client.next()
        return (try? ServerControl.parse(reply.body)).map { if case .connected = $0 { true } else { false } } ?? false
    }

    @Test(
        "The primary killed: the sentinels promote the replica, the nodes follow it, their clients stay, messages cross again, ids stay unique"
    )
    func failover() async throws {
        let set = try await RedisSentinelSet()
        defer { set.stop() }
        try await withServer(cluster: try Self.configuration(set, id: "a")) { a in
            try await withServer(cluster: try Self.configuration(set, id: "b")) { b in
                let (alice, bob) = try await TestClient.aliceAndBob(port: a.port, bobPort: b.port)
                try await bob.awaitList(["alice", "bob"])
                set.kill(set.primary)
                try await set.awaitPrimary(set.replica)
                try await waitUntil("a message from alice crossing to bob after the failover") {
                    try await alice.send(to: "bob", from: "alice", "after the failover")
                    let frame = try? await bob.nextSkippingLists(timeout: .milliseconds(500))
                    return frame?.text == "after the failover"
                }
                #expect(try await !Self.admits("alice", port: b.port), "alice is still on a")
                // After the grace (no new ids for one lease after another Redis process answers).
                let carol = try await ClusterNodes.admitted("carol", port: b.port)
                let dave = try await ClusterNodes.admitted("dave", port: a.port)
                try await dave.awaitList(["alice", "bob", "carol", "dave"])
                await carol.close()
                await dave.close()
                await alice.close()
                await bob.close()
            }
        }
    }

    @Test(
        "A replica promoted without the last claim: the node that made it registers it again, and no other node admits that id meanwhile"
    )
    func lostClaim() async throws {
        let set = try await RedisSentinelSet()
        defer { set.stop() }
        try await withServer(cluster: try Self.configuration(set, id: "b")) { b in
            let (a, aPort) = try await startServer([
                "--cluster", set.url, "--cluster-lease", Patience.scaledArgument(.seconds(10)), "--node-id", "a",
                "--alive-timeout", "600",
            ])
            defer { a.stop() }
            let bob = try await ClusterNodes.admitted("bob", port: b.port)
            try await set.cutReplica()
            let carol = try await ClusterNodes.admitted("carol", port: aPort)
            try await bob.awaitList(["bob", "carol"])
            let onReplica = try await RedisSentinelSet.ask(set.replica, ["HGET", "chat255:names", "carol"])
            #expect(onReplica.text == nil, "the claim of carol never reached the replica")
            // a is frozen through the failover: b is back on the new primary first, and carol's
            // claim is not there.
            a.signal(SIGSTOP)
            var resumed = false
            defer { if !resumed { a.signal(SIGCONT) } }
            set.kill(set.primary)
            try await set.awaitPrimary(set.replica)
            // b is back once it wrote its lease there: its time to live, which only falls, rises.
            var lastTimeToLive = Int64.max
            try await waitUntil("b registered on the new primary") {
                guard case .integer(let left) = try await RedisSentinelSet.ask(set.replica, ["PTTL", "chat255:node:b"])
                else { return false }
                defer { lastTimeToLive = left }
                return left > lastTimeToLive
            }
            for _ in 0..<5 {
                #expect(try await !Self.admits("carol", port: b.port), "carol is still on a")
            }
            a.signal(SIGCONT)
            resumed = true
            // a registers carol again on the new primary: she stays reachable from b.
            try await waitUntil("carol back in the new primary") {
                try await RedisSentinelSet.ask(set.replica, ["HGET", "chat255:names", "carol"]).text == "a"
            }
            try await waitUntil("a message from bob reaching carol") {
                try await bob.send(to: "carol", from: "bob", "still here?")
                let frame = try? await carol.nextSkippingLists(timeout: .milliseconds(500))
                return frame?.text == "still here?"
            }
            #expect(try await !Self.admits("carol", port: b.port), "carol is still on a")
            await carol.close()
            await bob.close()
        }
    }

    @Test(
        "Sentinel URLs are checked: no primary's name, a sentinel that is not HOST:PORT; the password is hidden in logs"
    )
    func urls() throws {
        let target = try RESPTarget(url: "redis-sentinel://:pw@10.0.0.1:26379,[::1]:26380/chat")
        guard case .sentinel(let sentinels) = target else { throw TestFailure("not a sentinel target") }
        #expect(sentinels.sentinels.map(\.port) == [26379, 26380])
        #expect(sentinels.sentinels.map(\.host) == ["10.0.0.1", "::1"])
        #expect(sentinels.masterName == "chat")
        #expect(sentinels.password == "pw")
        #expect("\(target)" == "redis-sentinel://:***@10.0.0.1:26379,[::1]:26380/chat")
        for bad in [
            "redis-sentinel://10.0.0.1:26379", "redis-sentinel://10.0.0.1:26379/", "redis-sentinel://10.0.0.1/chat",
            "redis-sentinel://10.0.0.1:26379,/chat", "redis-sentinel:///chat", "sentinel://10.0.0.1:26379/chat",
        ] {
            #expect(throws: RESPEndpointError.self, "\(bad)") { try RESPTarget(url: bad) }
        }
    }

    @Test(
        "Sentinels that know no primary of that name stop the server before it listens; sentinels out of reach do not")
    func unknownPrimary() async throws {
        let set = try await RedisSentinelSet()
        defer { set.stop() }
        var wrong = try Self.configuration(set, id: "a")
        wrong.endpoint = try RESPTarget(url: set.url.replacingOccurrences(of: "/chat", with: "/nobody"))
        do {
            _ = try await withServer(cluster: wrong) { _ in Issue.record("a node started with an unknown primary") }
        } catch let error as ClusterError {
            #expect("\(error)".contains("know no primary named nobody"), "\(error)")
        }
    }
}
