public import ChatClientCore
import ChatWire
import Histogram
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix

/// Message benchmarks: `relay` (pairs of clients, each sending to its partner with a window of
/// messages in flight, or at a fixed total rate) and `fanout` (every client sends to `ALL` at a
/// fixed total rate). Both partners of a pair live on the same event loop, so a window is kept
/// without any locking; each loop has one `TrafficWorker` that drives and measures its clients.
public enum TrafficBenchmark {
    /// What to run.
    public struct Options: Sendable {
        /// Who sends to whom.
        public enum Pattern: Sendable {
            /// `pairs` pairs, each client sending to its partner.
            case pairs(Int)
            /// `clients` clients, each sending to `ALL`.
            case fanout(Int)
        }

        /// The server's address.
        public var host = "127.0.0.1"
        /// The server's port.
        public var port = 7255
        /// Loopback source addresses the clients are spread over (`BenchAddress`).
        public var sourceAddresses = 1
        /// Another node of a cluster: every client with an odd number connects here instead
        /// (the second client of every pair), so that each pair's messages cross between nodes.
        public var peerPort: Int?
        /// TLS (`--tls`); `nil`: plain TCP.
        public var tls: ClientTLS?
        /// Who sends to whom.
        public var pattern: Pattern
        /// Body bytes (32...239).
        public var size = 32
        /// Most messages a client has in flight (pairs only).
        public var window = 64
        /// Total messages per second over all senders; `nil`: as fast as the window allows.
        public var rate: Double?
        /// Time before measuring starts.
        public var warmup: Duration = .seconds(1)
        /// Time measured (at most, with `messages`).
        public var duration: Duration = .seconds(5)
        /// Fixed work instead of fixed time: stop once this many messages were delivered after
        /// the warm-up (or `duration` passed); rates are then over the time it took.
        public var messages: UInt64?
        /// How long to wait, after the run, for messages still in flight before counting them lost.
        public var drain: Duration = .seconds(3)
        /// Ids are this prefix and the client's number.
        public var prefix = "b"

        /// Options for `pattern`, defaults otherwise.
        public init(pattern: Pattern) { self.pattern = pattern }

        var clientCount: Int {
            switch self.pattern {
            case .pairs(let pairs): 2 * pairs
            case .fanout(let clients): clients
            }
        }
    }

    /// Progress while running: deliveries so far.
    public typealias Progress = @Sendable (_ elapsed: Duration, _ delivered: UInt64) -> Void

    /// Runs the benchmark; it stops by itself after warm-up + duration (or `messages`) + at most
    /// `drain`.
    public static func run(
        _ options: Options, group: any EventLoopGroup, progress: Progress? = nil
    ) async throws -> TrafficResult {
        let loops = Array(group.makeIterator())
        let workers = loops.map { TrafficWorkerBox(loop: $0, options: options) }
        let server = try BenchServers(
            host: options.host, port: options.port, peerPort: options.peerPort,
            sourceAddresses: options.sourceAddresses,
            tls: options.tls)
        // Connect: pairs stay on one loop together.
        for index in 0..<options.clientCount {
            let worker: TrafficWorkerBox
            switch options.pattern {
            case .pairs: worker = workers[(index / 2) % workers.count]
            case .fanout: worker = workers[index % workers.count]
            }
            try await worker.connect(index: index, to: server.for(index), options: options)
        }
        try await Self.waitUntil(timeout: .seconds(30)) {
            var ready = 0
            for worker in workers {
                ready += try await worker.submit { $0.readyCount }
                for index in try await worker.submit({ $0.retries.due() }) {
                    try await worker.connect(index: index, to: server.for(index), options: options)
                }
            }
            return ready == options.clientCount
        }
        let start = NIODeadline.now()
        let measureFrom = start + TimeAmount(options.warmup)
        let measureUntil = measureFrom + TimeAmount(options.duration)
        for worker in workers {
            try await worker.submit { $0.start(measureFrom: measureFrom, measureUntil: measureUntil) }
        }
        // Run, with progress once a second (fixed work: a look every 10 ms).
        let look: Int64 = options.messages == nil ? 1000 : 10
        while NIODeadline.now() < measureUntil {
            try await Task.sleep(
                for: .milliseconds(min(look, max(1, (measureUntil - NIODeadline.now()).nanoseconds / 1_000_000))))
            if let progress {
                var delivered: UInt64 = 0
                for worker in workers { delivered += try await worker.submit { $0.delivered } }
                progress(.nanoseconds((NIODeadline.now() - start).nanoseconds), delivered)
            }
            if let target = options.messages {
                var measured: UInt64 = 0
                for worker in workers { measured += try await worker.submit { $0.measuredSoFar } }
                if measured >= target { break }
            }
        }
        let stoppedAt = min(NIODeadline.now(), measureUntil)
        for worker in workers { try await worker.submit { $0.stop() } }
        // Drain: wait (up to `drain`) for what is still in flight.
        try? await Self.waitUntil(timeout: options.drain) {
            var expected: UInt64 = 0
            var delivered: UInt64 = 0
            for worker in workers {
                let counts = try await worker.submit { ($0.expected, $0.delivered) }
                expected += counts.0
                delivered += counts.1
            }
            return delivered >= expected
        }
        var result = TrafficResult(
            workload: { if case .pairs = options.pattern { "relay" } else { "fanout" } }(),
            clients: options.clientCount, size: options.size,
            seconds: max(1e-9, Double((stoppedAt - measureFrom).nanoseconds) / 1e9),
            messagesPerSecond: 0, megabytesPerSecond: 0, latency: LatencySummary(Histogram<UInt64>()), sent: 0,
            expected: 0, delivered: 0, lost: 0, misordered: 0, corrupted: 0, offline: 0, errors: 0)
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var measured: UInt64 = 0
        for worker in workers {
            let stats = try await worker.submit { $0.stats() }
            histogram.add(stats.histogram)
            measured += stats.measured
            result.sent += stats.sent
            result.expected += stats.expected
            result.delivered += stats.delivered
            result.misordered += stats.misordered
            result.corrupted += stats.corrupted
            result.offline += stats.offline
            result.errors += stats.errors
            try await worker.close()
        }
        result.lost = result.expected > result.delivered ? result.expected - result.delivered : 0
        result.latency = LatencySummary(histogram)
        result.messagesPerSecond = Double(measured) / result.seconds
        result.megabytesPerSecond = result.messagesPerSecond * Double(options.size) / 1e6
        return result
    }

    static func waitUntil(timeout: Duration, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw BenchError.timeout("\(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Why a benchmark could not run.
public enum BenchError: Error, CustomStringConvertible {
    case timeout(String)
    case invalid(String)

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .timeout(let what): "not all clients were ready within \(what)"
        case .invalid(let what): what
        }
    }
}

/// A `TrafficWorker` reachable from outside its loop only through `submit`.
final class TrafficWorkerBox: Sendable {
    let loop: any EventLoop
    private let box: NIOLoopBoundBox<TrafficWorker?>

    init(loop: any EventLoop, options: TrafficBenchmark.Options) {
        self.loop = loop
        self.box = .makeEmptyBox(valueType: TrafficWorker.self, eventLoop: loop)
        let box = self.box
        loop.execute { box.value = TrafficWorker(options: options, loop: loop) }
    }

    func submit<T: Sendable>(_ body: @escaping @Sendable (TrafficWorker) -> T) async throws -> T {
        let box = self.box
        return try await self.loop.submit {
            guard let worker = box.value else { throw BenchError.invalid("worker gone") }
            return body(worker)
        }.get()
    }

    func connect(index: Int, to server: BenchAddress, options: TrafficBenchmark.Options) async throws {
        let box = self.box
        let id = try ChatName(validating: "\(options.prefix)\(index)")
        try await server.connect(
            ClientBootstrap(group: self.loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard let worker = box.value else { throw BenchError.invalid("worker gone") }
                        try server.addTLS(to: channel)
                        let handler = BenchClientHandler(id: id, index: index, delegate: worker)
                        worker.add(handler)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }, index: index)
    }

    func close() async throws {
        try await self.submit { $0.closeAll() }
    }
}
