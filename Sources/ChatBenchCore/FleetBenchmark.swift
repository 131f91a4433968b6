public import ChatClientCore
import ChatWire
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Benchmarks of many clients that send no messages: `connections` (how long N clients take to
/// register, and the server's memory for them) and `joinstorm` (N clients joining at once: how
/// long until every one holds the full list, and how many list bytes that cost).
public enum FleetBenchmark {
    /// Where and how many.
    public struct Options: Sendable {
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
        /// Clients used.
        public var clients: Int
        /// Connections being set up at once (`connections` only; a storm starts them all).
        public var batch = 128
        /// Seconds to stay connected, heartbeating, after all are in (`connections`).
        public var hold: Duration = .seconds(2)
        /// The server's process id, to read its memory from /proc.
        public var serverPID: Int32?
        /// Ids are this prefix and the client's number.
        public var prefix = "f"
        /// Whether the clients ask for change events (`List changes`) instead of full lists.
        public var changeEvents = false

        /// Options for `clients` clients, defaults otherwise.
        public init(clients: Int) { self.clients = clients }
    }

    /// N clients connect, `batch` at a time; then they stay for `hold`.
    public static func connections(_ options: Options, group: any EventLoopGroup) async throws -> ConnectionsResult {
        let fleet = Fleet(group: group, fullList: options.clients)
        let server = try BenchServers(
            host: options.host, port: options.port, peerPort: options.peerPort,
            sourceAddresses: options.sourceAddresses,
            tls: options.tls)
        let before = options.serverPID.flatMap(Self.residentKilobytes)
        let start = ContinuousClock.now
        var next = 0
        while next < options.clients {
            let batch = next..<min(options.clients, next + options.batch)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for index in batch {
                    tasks.addTask { try await fleet.connect(index: index, to: server.for(index), options: options) }
                }
                try await tasks.waitForAll()
            }
            next = batch.upperBound
        }
        try? await TrafficBenchmark.waitUntil(timeout: .seconds(30)) {
            try await fleet.connectRefusedAgain(server: server, options: options)
            let counts = try await fleet.counts()
            return counts.ready + counts.errors >= options.clients
        }
        let connected = (try await fleet.counts().lastReady ?? .now) - start
        try await Task.sleep(for: options.hold)
        let counts = try await fleet.counts()
        let after = options.serverPID.flatMap(Self.residentKilobytes)
        try await fleet.closeAll()
        return ConnectionsResult(
            clients: options.clients, connected: counts.ready, connectSeconds: Self.seconds(connected),
            holdSeconds: Self.seconds(options.hold), serverRSSBefore: before, serverRSSAfter: after,
            errors: counts.errors)
    }

    /// N clients connect at once; waits until every client's latest list holds all N.
    public static func joinStorm(_ options: Options, group: any EventLoopGroup) async throws -> JoinStormResult {
        let fleet = Fleet(group: group, fullList: options.clients)
        let server = try BenchServers(
            host: options.host, port: options.port, peerPort: options.peerPort,
            sourceAddresses: options.sourceAddresses,
            tls: options.tls)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for index in 0..<options.clients {
                tasks.addTask { try await fleet.connect(index: index, to: server.for(index), options: options) }
            }
            try await tasks.waitForAll()
        }
        // The clients check every name they are sent (N² of them): allow 5 ms a client, 60 s at least.
        let limit = max(Duration.seconds(60), .milliseconds(5 * options.clients))
        do {
            try await TrafficBenchmark.waitUntil(timeout: limit) {
                try await fleet.connectRefusedAgain(server: server, options: options)
                return try await fleet.counts().complete >= options.clients
            }
        } catch BenchError.timeout {
            let counts = try await fleet.counts()
            throw BenchError.invalid(
                "after \(limit): \(counts.complete) of \(options.clients) clients hold the full list, "
                    + "\(counts.ready) connected, \(counts.errors) errors"
                    + (counts.firstError.map { " (the first: \($0))" } ?? ""))
        }
        let counts = try await fleet.counts()
        let converged = (counts.lastComplete ?? .now) - start
        try await fleet.closeAll()
        let names = try (0..<options.clients).map { try ChatName(validating: "\(options.prefix)\($0)") }
        let fullList = OnlineList.parts(of: names).reduce(0) { $0 + Wire.headerLength + $1.body.utf8.count + 1 }
        return JoinStormResult(
            clients: options.clients, convergenceSeconds: Self.seconds(converged), listBytes: counts.listBytes,
            amplification: Double(counts.listBytes) / Double(options.clients * fullList), errors: counts.errors)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// VmRSS of process `pid` in kB, from /proc.
    static func residentKilobytes(_ pid: Int32) -> Int? {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmRSS:") {
                return Int(text.dropFirst(6).trimmingCharacters(in: " \t\nkB"))
            }
        }
        return nil
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        let set = Set(characters)
        return String(self.drop(while: { set.contains($0) }).reversed().drop(while: { set.contains($0) }).reversed())
    }
}

/// Clients spread over the loops of a group, each loop's share counted by a `FleetWorker`.
final class Fleet: Sendable {
    private let workers: [(loop: any EventLoop, box: NIOLoopBoundBox<FleetWorker?>)]

    init(group: any EventLoopGroup, fullList: Int) {
        self.workers = group.makeIterator().map { loop in
            let box = NIOLoopBoundBox.makeEmptyBox(valueType: FleetWorker.self, eventLoop: loop)
            loop.execute { box.value = FleetWorker(fullSize: fullList) }
            return (loop, box)
        }
    }

    func connect(index: Int, to server: BenchAddress, options: FleetBenchmark.Options) async throws {
        let (loop, box) = self.workers[index % self.workers.count]
        let id = try ChatName(validating: "\(options.prefix)\(index)")
        try await server.connect(
            ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard let worker = box.value else { throw BenchError.invalid("worker gone") }
                        try server.addTLS(to: channel)
                        let handler = BenchClientHandler(
                            id: id, index: index, delegate: worker, changeEvents: options.changeEvents)
                        worker.clients.append(handler)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }, index: index)
    }

    /// Connects again the clients a cluster node refused for now, once their delay is up.
    func connectRefusedAgain(server: BenchServers, options: FleetBenchmark.Options) async throws {
        for (loop, box) in self.workers {
            for index in try await loop.submit({ box.value?.retries.due() ?? [] }).get() {
                try await self.connect(index: index, to: server.for(index), options: options)
            }
        }
    }

    /// Over all loops: ready clients, clients whose latest list is complete, list bytes, errors,
    /// and when the last client got ready and the last one's list became complete.
    func counts() async throws -> FleetCounts {
        var total = FleetCounts()
        for (loop, box) in self.workers {
            let counts = try await loop.submit { box.value?.counts ?? FleetCounts() }.get()
            total.add(counts)
        }
        return total
    }

    func closeAll() async throws {
        for (loop, box) in self.workers {
            try await loop.submit {
                box.value?.closing = true
                for client in box.value?.clients ?? [] { client.context?.close(promise: nil) }
            }.get()
        }
    }
}

/// A fleet's counts, one loop's or all of them.
struct FleetCounts: Sendable {
    var ready = 0
    var complete = 0
    var listBytes = 0
    var errors = 0
    /// What the first error was, in words.
    var firstError: String?
    /// When the last client got ready, and when a client's list last became complete: taken
    /// as it happens, so the result does not depend on how often the counts are polled.
    var lastReady: ContinuousClock.Instant?
    var lastComplete: ContinuousClock.Instant?

    mutating func add(_ other: FleetCounts) {
        self.ready += other.ready
        self.complete += other.complete
        self.listBytes += other.listBytes
        self.errors += other.errors
        self.firstError = self.firstError ?? other.firstError
        self.lastReady = [self.lastReady, other.lastReady].compactMap { $0 }.max()
        self.lastComplete = [self.lastComplete, other.lastComplete].compactMap { $0 }.max()
    }
}

/// Counts one loop's share of a fleet (confined to the loop).
final class FleetWorker: BenchClientDelegate {
    var clients: [BenchClientHandler] = []
    private(set) var counts = FleetCounts()
    var closing = false
    /// Clients refused for now, to connect again (`BenchRetries`).
    var retries = BenchRetries()
    /// The size of each client's latest complete list.
    private var latest: [Int: Int] = [:]
    /// The size of the full list (the storm's client count).
    private let fullSize: Int

    init(fullSize: Int) {
        self.fullSize = fullSize
    }

    func clientReady(_ client: BenchClientHandler) {
        self.counts.ready += 1
        self.counts.lastReady = .now
    }
    func client(_ client: BenchClientHandler, received body: ByteBuffer, from source: ChatName) {}
    func clientOffline(_ client: BenchClientHandler) {}
    func clientReadComplete(_ client: BenchClientHandler) {}

    func client(_ client: BenchClientHandler, receivedList names: Int, bytes: Int) {
        self.counts.listBytes += bytes
        let wasComplete = self.latest[client.index] == self.fullSize
        self.latest[client.index] = names
        if names == self.fullSize, !wasComplete {
            self.counts.complete += 1
            self.counts.lastComplete = .now
        }
        if names != self.fullSize, wasComplete { self.counts.complete -= 1 }
    }

    func clientRefusedForNow(_ client: BenchClientHandler) {
        // It stays in `clients`, closed (closing it again at the end does nothing).
        self.retries.refused(client.index)
    }

    func clientFailed(_ client: BenchClientHandler, reason: String) {
        guard !self.closing else { return }
        self.counts.errors += 1
        if self.counts.firstError == nil { self.counts.firstError = reason }
    }
}
