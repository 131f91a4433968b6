import ChatWire
import NIOCore
import RESP
import Testing

@testable import ChatServerCore

@Suite("The cluster's values: events, lease, payloads, settings")
struct ClusterValueTests {
    @Test("Event lines as the scripts publish them, and lines that are not events")
    func events() throws {
        let alice = try ChatName(validating: "alice")
        #expect(ClusterEvent(line: "7 + n1 alice") == .joined(version: 7, node: "n1", name: alice))
        #expect(ClusterEvent(line: "8 - n1 alice") == .left(version: 8, node: "n1", name: alice))
        #expect(ClusterEvent(line: "9 x n1 n2") == .nodesGone(version: 9, nodes: ["n1", "n2"]))
        #expect(ClusterEvent(line: "10 *") == .reload(version: 10))
        for bad in ["", "7", "x + n1 alice", "7 + n1", "7 + n1 toolongname", "7 ? n1 a", "7 x", "7 * more", "-1 *"] {
            #expect(ClusterEvent(line: bad) == nil, "'\(bad)'")
        }
    }

    @Test("The lease counts from the moment a refresh was sent, less a margin, and runs out")
    func lease() {
        var lease = NodeLease(length: .seconds(1))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        #expect(!lease.isValid(at: start), "nothing before the first confirmation")
        lease.confirmed(sentAt: start)
        #expect(lease.margin == .milliseconds(20))
        #expect(lease.isValid(at: start + .milliseconds(979)))
        #expect(!lease.isValid(at: start + .milliseconds(980)))
        lease.confirmed(sentAt: start - .milliseconds(500))
        #expect(
            lease.isValid(at: start + .milliseconds(979)), "an older confirmation arriving late does not shorten it")
        #expect(lease.refreshInterval == .nanoseconds(333_333_333))
        #expect(lease.reapInterval == .milliseconds(250))
        #expect(NodeLease(length: .milliseconds(600)).reapInterval == .milliseconds(150))
        #expect(NodeLease(length: .seconds(60)).margin == .milliseconds(100))
        lease.lost()
        #expect(!lease.isValid(at: start))
    }

    @Test("The fence holds until the lease's end, not at it, and not without a lease")
    func fence() {
        let fence = LeaseFence()
        let start = NIODeadline.uptimeNanoseconds(5_000_000_000)
        #expect(!fence.holds(at: start), "no lease yet")
        fence.set(until: start + .seconds(1))
        #expect(fence.holds(at: start))
        #expect(fence.holds(at: start + .milliseconds(999)))
        #expect(!fence.holds(at: start + .seconds(1)))
        #expect(!fence.holds(at: start + .seconds(3)), "a pause of three leases")
        fence.set(until: nil)
        #expect(!fence.holds(at: start))
    }

    @Test("A payload carries the sending node's id, then the frames")
    func payload() throws {
        var payload = ClusterPayload.start(origin: "node-1", capacity: 16)
        payload.writeString("frames")
        let read = try #require(ClusterPayload.read(payload))
        #expect(read.origin == "node-1")
        #expect(String(buffer: read.frames) == "frames")
        #expect(ClusterPayload.read(ByteBuffer()) == nil)
        #expect(ClusterPayload.read(ByteBuffer(bytes: [9, 65])) == nil, "shorter than its id")
    }

    @Test("Cluster settings are checked: names and ids of a safe alphabet, a lease in range")
    func settings() throws {
        var cluster = ClusterConfiguration(endpoint: try RESPTarget(url: "redis://127.0.0.1:6379"))
        #expect(cluster.nodeID.hasPrefix("node-"))
        #expect(ClusterConfiguration(endpoint: cluster.endpoint).nodeID != cluster.nodeID, "unique per start")
        try cluster.validate()
        cluster.name = "has space"
        #expect(throws: ConfigurationError.self) { try cluster.validate() }
        cluster.name = "chat255"
        cluster.nodeID = String(repeating: "n", count: 65)
        #expect(throws: ConfigurationError.self) { try cluster.validate() }
        cluster.nodeID = "n1"
        cluster.lease = .milliseconds(400)
        #expect(throws: ConfigurationError.self) { try cluster.validate() }
        cluster.lease = .milliseconds(1500)
        try cluster.validate()
    }

    @Test(
        "Delivery unproven for longer than the patience is overdue; a subscription is dropped after a patience of its own"
    )
    func deliveryProbe() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let patience = TimeAmount.seconds(1)
        var probe = DeliveryProbe()
        #expect(!probe.isOverdue(at: start + .seconds(100), patience: patience), "nothing to prove yet")
        probe.connected(at: start)
        #expect(!probe.isOverdue(at: start + .seconds(1), patience: patience))
        #expect(probe.isOverdue(at: start + .milliseconds(1001), patience: patience), "the subscription proved nothing")
        probe.heard()
        #expect(!probe.isOverdue(at: start + .seconds(5), patience: patience), "a probe came back: the path delivers")
        probe.sent(at: start + .seconds(5))
        probe.sent(at: start + .milliseconds(5300))
        #expect(probe.isOverdue(at: start + .milliseconds(6001), patience: patience), "counted from the first one out")
        #expect(probe.mustDrop(at: start + .milliseconds(6001), patience: patience))
        probe.connected(at: start + .milliseconds(6001))
        #expect(probe.isOverdue(at: start + .milliseconds(6002), patience: patience), "still unproven: not ready")
        #expect(
            !probe.mustDrop(at: start + .milliseconds(7000), patience: patience),
            "the new subscription has a patience of its own")
        #expect(probe.mustDrop(at: start + .milliseconds(7002), patience: patience))
        probe.heard()
        #expect(!probe.isOverdue(at: start + .seconds(8), patience: patience))
    }
}
