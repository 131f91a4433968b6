import ChatBenchCore
import ChatServerCore
import ChatTestSupport
import ChatWireTestSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RESP
import Testing

@Suite("chatbench")
struct ChatBenchTests {
    /// A server on an ephemeral port and a separate event-loop group for the load.
    private func withServer(_ body: (Int, MultiThreadedEventLoopGroup) async throws -> Void) async throws {
        try await ChatTestSupport.withServer { server in
            let load = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            do {
                try await body(server.port, load)
            } catch {
                try? await load.shutdownGracefully()
                throw error
            }
            try await load.shutdownGracefully()
        }
    }

    @Test("a body carries its sequence number and send time; a changed byte is caught")
    func body() throws {
        var buffer = ByteBuffer()
        BenchBody.write(sequence: 12_345, sentAt: 987_654_321, size: 100, to: &buffer)
        #expect(buffer.readableBytes == 100)
        #expect(!buffer.readableBytesView.contains(0))
        let read = try #require(BenchBody.read(buffer))
        #expect(read.sequence == 12_345)
        #expect(read.sentAt == 987_654_321)
        buffer.setInteger(UInt8(ascii: "?"), at: 60)
        #expect(BenchBody.read(buffer) == nil)
        #expect(BenchBody.read(ByteBuffer(string: "short")) == nil)
    }

    @Test("relay: every message delivered once, in order, with latencies")
    func relay() async throws {
        try await withServer { port, load in
            var options = TrafficBenchmark.Options(pattern: .pairs(5))
            options.port = port
            options.size = 64
            options.warmup = .milliseconds(100)
            options.messages = 500  // fixed work: however busy the machine, there are figures
            options.duration = Patience.guardTime
            options.drain = Patience.guardTime
            let result = try await TrafficBenchmark.run(options, group: load)
            #expect(result.isClean)
            #expect(result.delivered == result.sent)
            #expect(result.messagesPerSecond > 0)
            #expect(result.latency.count > 0 && result.latency.p50 > 0 && result.latency.p50 <= result.latency.max)
        }
    }

    @Test("relay across two nodes of a cluster (--peer-port): every pair split over the nodes, nothing lost")
    func relayAcrossNodes() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        func node(_ id: String) throws -> ClusterConfiguration {
            ClusterConfiguration(endpoint: try RESPTarget(url: redis.url), nodeID: id)
        }
        try await ChatTestSupport.withServer(cluster: try node("n0")) { first in
            try await ChatTestSupport.withServer(cluster: try node("n1")) { second in
                let load = MultiThreadedEventLoopGroup(numberOfThreads: 2)
                defer { Task { try? await load.shutdownGracefully() } }
                var options = TrafficBenchmark.Options(pattern: .pairs(4))
                options.port = first.port
                options.peerPort = second.port
                options.warmup = .milliseconds(100)
                options.messages = 500
                options.duration = Patience.guardTime
                options.drain = Patience.guardTime
                let seen = NIOLockedValueBox<[Int]>([])
                let result = try await TrafficBenchmark.run(options, group: load) { _, _ in
                    seen.withLockedValue { $0 = [first.onlineCount, second.onlineCount] }
                }
                #expect(result.isClean)
                #expect(result.delivered == result.sent)
                #expect(seen.withLockedValue { $0 } == [4, 4], "half the clients on each node")
            }
        }
    }

    @Test(
        "a cluster node that refuses Connects for now ('cluster unavailable'): the clients connect again, the run is clean"
    )
    func relayThroughRefusals() async throws {
        let port = try RedisServer.holdFreePort()
        var redis: RedisServer?
        defer { redis?.stop() }
        let cluster = ClusterConfiguration(endpoint: try RESPTarget(url: "redis://127.0.0.1:\(port)"), nodeID: "n0")
        try await ChatTestSupport.withServer(cluster: cluster, metrics: true, awaitRegistration: false) { node in
            let load = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            defer { Task { try? await load.shutdownGracefully() } }
            var options = TrafficBenchmark.Options(pattern: .pairs(4))
            options.port = node.port
            options.warmup = .milliseconds(100)
            options.messages = 200
            options.duration = Patience.guardTime
            options.drain = Patience.guardTime
            let run = Task { try await TrafficBenchmark.run(options, group: load) }
            // Redis comes up only after as many refusals as there are clients.
            try await waitUntil("every client refused") {
                let response = try await HTTPClient.request("/metrics", port: node.operationsAddress?.port ?? 0)
                let metrics = try PrometheusText(parsing: response.body)
                return metrics["chat255_connects_refused_total{reason=\"cluster_unavailable\"}"] >= 8
            }
            redis = try await RedisServer(port: port)
            let result = try await run.value
            #expect(result.isClean)
            #expect(result.delivered == result.sent && result.sent >= 200)
        }
    }

    @Test("relay at a fixed rate: paced messages all delivered (the pacing rule: RatePacerTests)")
    func relayRate() async throws {
        try await withServer { port, load in
            var options = TrafficBenchmark.Options(pattern: .pairs(2))
            options.port = port
            options.rate = 2_000
            options.warmup = .milliseconds(100)
            options.messages = 400
            options.duration = Patience.guardTime
            options.drain = Patience.guardTime
            let result = try await TrafficBenchmark.run(options, group: load)
            #expect(result.isClean)
            #expect(result.delivered >= 400 && result.delivered == result.sent)
        }
    }

    @Test("fanout: every message reaches every other client")
    func fanout() async throws {
        try await withServer { port, load in
            var options = TrafficBenchmark.Options(pattern: .fanout(6))
            options.port = port
            options.rate = 600
            options.warmup = .milliseconds(100)
            options.duration = .milliseconds(300)
            options.drain = Patience.guardTime
            let result = try await TrafficBenchmark.run(options, group: load)
            #expect(result.isClean)
            #expect(result.expected == result.sent * 5)
            #expect(result.delivered == result.expected)
        }
    }

    @Test("connections and joinstorm: every client in, every one ends with the full list")
    func fleets() async throws {
        try await withServer { port, load in
            var options = FleetBenchmark.Options(clients: 200)
            options.port = port
            options.hold = .milliseconds(100)
            let connections = try await FleetBenchmark.connections(options, group: load)
            #expect(connections.connected == 200)
            #expect(connections.errors == 0)
            options.prefix = "s"
            let storm = try await FleetBenchmark.joinStorm(options, group: load)
            #expect(storm.errors == 0)
            #expect(storm.amplification >= 1.0)
            #expect(storm.convergenceSeconds > 0, "every client ended with the full list")
        }
    }
}
