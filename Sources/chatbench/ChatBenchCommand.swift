import ArgumentParser
import ChatBenchCore
import ChatClientCore
import ChatSystem
import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// `chatbench`: load and measure a chatserver, like `nats bench` or `redis-benchmark`.
@main
struct ChatBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatbench",
        abstract: "Measures a chatserver: relay throughput and latency, fan-out, connections, join storms.",
        subcommands: [Relay.self, Fanout.self, Connections.self, JoinStorm.self])
}

/// Where the server is, and how to report.
struct ServerOptions: ParsableArguments {
    @Option(help: "The server's address.")
    var host = "127.0.0.1"

    @Option(help: "The server's port.")
    var port = 7255

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Option(help: "Event-loop threads of the load (default: one per core).")
    var threads = System.coreCount

    @Option(
        help: ArgumentHelp(
            "Spread the clients over N loopback source addresses, 127.0.0.1 to 127.0.0.N (1...254).",
            discussion: "One address has some 28,000 ephemeral ports and connecting slows past ~14,000: "
                + "use 2 or more for runs of over 10,000 clients against a server on 127.x.x.x."))
    var sourceAddresses = 1

    @Option(
        help: ArgumentHelp(
            "Another node of the same cluster: the second client of every pair connects here.",
            discussion: "Every client with an odd number (in a pair, the second one) connects to this port, "
                + "so that messages cross between the nodes."))
    var peerPort: Int?

    @Flag(help: "Speak TLS to the server (its certificate verified against the system's roots, or --tls-ca).")
    var tls = false

    @Option(help: ArgumentHelp("Trust this CA (PEM) for the server's certificate.", valueName: "file"))
    var tlsCa: String?

    /// The TLS settings, or `nil` without `--tls`.
    var clientTLS: ClientTLS? { self.tls ? ClientTLS(caFile: self.tlsCa) : nil }

    func validate() throws {
        if self.tlsCa != nil, !self.tls { throw ValidationError("--tls-ca needs --tls") }
        guard (1...65_535).contains(self.port) else { throw ValidationError("--port must be 1...65535") }
        if let peer = self.peerPort, !(1...65_535).contains(peer) {
            throw ValidationError("--peer-port must be 1...65535")
        }
        guard (1...64).contains(self.threads) else { throw ValidationError("--threads must be 1...64") }
        guard (1...254).contains(self.sourceAddresses) else {
            throw ValidationError("--source-addresses must be 1...254")
        }
    }
}

/// The options every message workload has: body size, measured seconds (or messages), warm-up.
struct MessageOptions: ParsableArguments {
    @Option(help: "Body bytes (32...239).") var size = 32
    @Option(help: "Seconds measured, after the warm-up.") var seconds = 5.0
    @Option(help: "Seconds of warm-up.") var warmup = 1.0
    @Option(help: "Stop once this many messages were delivered after the warm-up (or --seconds passed).")
    var messages: UInt64?

    func validate() throws {
        guard (32...239).contains(self.size) else { throw ValidationError("--size must be 32...239") }
        if let messages = self.messages, messages == 0 { throw ValidationError("--messages must be above 0") }
        _ = try duration(self.seconds, "--seconds")
        _ = try duration(self.warmup, "--warmup")
    }

    /// Runs `pattern` against the server with these options and the `rate` and `window` given,
    /// prints the result, and fails if any message went astray.
    func run(_ pattern: TrafficBenchmark.Options.Pattern, rate: Double?, window: Int, server: ServerOptions)
        async throws
    {
        var options = TrafficBenchmark.Options(pattern: pattern)
        options.host = server.host
        options.port = server.port
        options.sourceAddresses = server.sourceAddresses
        options.peerPort = server.peerPort
        options.tls = server.clientTLS
        options.size = self.size
        options.window = window
        options.rate = rate
        options.duration = try duration(self.seconds, "--seconds")
        options.warmup = try duration(self.warmup, "--warmup")
        options.messages = self.messages
        try await runTraffic(options, server: server)
    }
}

/// Seconds given on the command line as a `Duration`.
func duration(_ seconds: Double, _ option: String) throws -> Duration {
    guard seconds.isFinite, seconds >= 0, seconds <= 3600 else { throw ValidationError("\(option) must be 0...3600") }
    return .nanoseconds(Int64(seconds * 1e9))
}

/// A total rate in msgs/s given on the command line: above 0 and at most 100 million, far
/// beyond any server, which keeps the pacing arithmetic in range.
func checkRate(_ rate: Double) throws {
    guard rate > 0, rate <= 100_000_000 else { throw ValidationError("--rate must be above 0 and at most 100000000") }
}

/// A progress line on standard error when it is a terminal.
func progressPrinter() -> TrafficBenchmark.Progress? {
    guard isatty(2) == 1 else { return nil }
    let meter = ProgressMeter()
    return { elapsed, delivered in
        FileHandle.standardError.write(Data(("\r" + meter.line(elapsed: elapsed, delivered: delivered)).utf8))
    }
}

extension ChatBenchCommand {
    struct Relay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pairs of clients, each sending to its partner; throughput, latency, loss.")

        @OptionGroup var server: ServerOptions
        @OptionGroup var message: MessageOptions
        @Option(help: "Client pairs.") var pairs = 50
        @Option(help: "Most messages in flight per client.") var window = 64
        @Option(help: "Fixed total rate in msgs/s instead of as fast as the window allows.") var rate: Double?

        func validate() throws {
            guard (1...50_000).contains(self.pairs) else { throw ValidationError("--pairs must be 1...50000") }
            guard (1...100_000).contains(self.window) else { throw ValidationError("--window must be 1...100000") }
            if let rate { try checkRate(rate) }
        }

        func run() async throws {
            try await self.message.run(.pairs(self.pairs), rate: self.rate, window: self.window, server: self.server)
        }
    }

    struct Fanout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every client sends to ALL at a fixed total rate; deliveries per second and latency.")

        @OptionGroup var server: ServerOptions
        @OptionGroup var message: MessageOptions
        @Option(help: "Clients.") var clients = 50
        @Option(help: "Total messages sent per second (each is delivered to clients - 1).") var rate = 2_000.0

        func validate() throws {
            guard (2...10_000).contains(self.clients) else { throw ValidationError("--clients must be 2...10000") }
            try checkRate(self.rate)
        }

        func run() async throws {
            try await self.message.run(.fanout(self.clients), rate: self.rate, window: 64, server: self.server)
        }
    }

    struct Connections: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "N clients connect and heartbeat; time to connect them all, server memory.")

        @OptionGroup var server: ServerOptions
        @Option(help: "Clients.") var clients = 1_000
        @Option(help: "Seconds to stay connected after all are in.") var hold = 2.0
        @Flag(help: "Clients ask for change events (List changes) instead of full lists.") var events = false
        @Option(help: "The server's process id, to report its memory (from /proc).") var serverPid: Int32?

        func validate() throws {
            guard (1...100_000).contains(self.clients) else { throw ValidationError("--clients must be 1...100000") }
            _ = try duration(self.hold, "--hold")
        }

        func run() async throws {
            prepareDescriptors(clients: self.clients)
            var options = FleetBenchmark.Options(clients: self.clients)
            options.host = self.server.host
            options.port = self.server.port
            options.sourceAddresses = self.server.sourceAddresses
            options.peerPort = self.server.peerPort
            options.tls = self.server.clientTLS
            options.changeEvents = self.events
            options.hold = try duration(self.hold, "--hold")
            options.serverPID = self.serverPid
            let result = try await withGroup(threads: self.server.threads) { group in
                try await FleetBenchmark.connections(options, group: group)
            }
            print(self.server.json ? Report.json(result) : Report.table(result))
            if result.errors > 0 { throw ExitCode.failure }
        }
    }

    struct JoinStorm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "joinstorm",
            abstract: "N clients connect at once; time until every one holds the full list, list bytes.")

        @OptionGroup var server: ServerOptions
        @Option(help: "Clients.") var clients = 1_000
        @Flag(help: "Clients ask for change events (List changes) instead of full lists.") var events = false

        func validate() throws {
            guard (1...100_000).contains(self.clients) else { throw ValidationError("--clients must be 1...100000") }
        }

        func run() async throws {
            prepareDescriptors(clients: self.clients)
            var options = FleetBenchmark.Options(clients: self.clients)
            options.host = self.server.host
            options.port = self.server.port
            options.sourceAddresses = self.server.sourceAddresses
            options.peerPort = self.server.peerPort
            options.tls = self.server.clientTLS
            options.changeEvents = self.events
            let result = try await withGroup(threads: self.server.threads) { group in
                try await FleetBenchmark.joinStorm(options, group: group)
            }
            print(self.server.json ? Report.json(result) : Report.table(result))
            if result.errors > 0 { throw ExitCode.failure }
        }
    }
}

func runTraffic(_ options: TrafficBenchmark.Options, server: ServerOptions) async throws {
    _ = FileDescriptorLimit.raiseToHardLimit()
    let progress = server.json ? nil : progressPrinter()
    let result = try await withGroup(threads: server.threads) { group in
        try await TrafficBenchmark.run(options, group: group, progress: progress)
    }
    if !server.json, isatty(2) == 1 { FileHandle.standardError.write(Data("\n".utf8)) }
    print(server.json ? Report.json(result) : Report.table(result))
    if !result.isClean { throw ExitCode.failure }
}

/// Raises the open-file limit and grows the descriptor table for `clients` before the first
/// connect, so that the timed connects never wait for the kernel to grow the table (the same
/// stall the server avoids; see `FileDescriptorLimit.reserveTable`).
func prepareDescriptors(clients: Int) {
    _ = FileDescriptorLimit.raiseToHardLimit()
    FileDescriptorLimit.reserveTable(for: clients + FileDescriptorLimit.reserve)
}

/// Runs `body` with an event-loop group of `threads` threads, shut down afterwards.
func withGroup<T: Sendable>(
    threads: Int, _ body: (MultiThreadedEventLoopGroup) async throws -> T
) async throws -> T {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    do {
        let result = try await body(group)
        try await group.shutdownGracefully()
        return result
    } catch {
        try? await group.shutdownGracefully()
        throw error
    }
}
