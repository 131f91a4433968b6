import ChatWire
import NIOCore

/// Everything the server can be told at start; `validate()` checks it before anything is bound.
public struct ServerConfiguration: Sendable {
    /// The address to listen on; loopback by default, `0.0.0.0` or `::` to expose the server.
    public var host: String = "127.0.0.1"
    /// The TCP port; 0 takes a free one.
    public var port: Int = 7255
    /// How often clients must send `Alive`; told to them in `Connected <interval>`.
    public var aliveInterval: Duration = .seconds(5)
    /// How long a client may stay silent before it is retired (3 × the interval unless set).
    public var aliveTimeout: Duration?
    /// The most clients online at once; one more Connect is refused.
    public var maxClients: Int = 10_000
    /// The most bytes queued for one client; past it the client is cut off as a slow consumer.
    public var maxPendingBytes: Int = 1 << 20
    /// A list push waits until the online set has not changed for this long...
    public var listQuietPeriod: Duration = .milliseconds(20)
    /// ...but while changes keep coming, no longer than this after the first change it carries,
    /// unless the push is costly: then up to six times its writing time at the rate pushes were
    /// measured to drain (docs/PROTOCOL.md, rule 9).
    public var listMaxDelay: Duration = .milliseconds(100)
    /// A ceiling on the list-push bytes a second (`--list-budget`, in MiB), or `nil` (the
    /// default): none. With one, a push of C bytes is followed by the next no sooner than
    /// C / ceiling after it started.
    public var listBudget: Int?
    /// TLS (`--tls-cert`, `--tls-key`, ...); `nil`: plain TCP only.
    public var tls: TLSServerSettings?
    /// The users file (`--users`): every Connect must carry its account's password.
    public var usersFile: String?
    /// Flood control: per client, per source address, before `Connect` (docs/SECURITY.md).
    public var flood = FloodLimits()
    /// The cluster this server is a node of (`--cluster`); `nil`: a chat of its own.
    public var cluster: ClusterConfiguration?
    /// The web listener (`--web-address`): the web chat page and WebSocket clients; `nil`: off.
    public var web: WebSettings?
    /// Where `/metrics`, `/healthz` and `/readyz` are served (`--metrics-address`); `nil`: off.
    public var metricsAddress: HostPort?
    /// How long shutdown waits for each connection to take its `Error server shutting down`
    /// before it closes it anyway (`--drain-timeout`).
    public var drainTimeout: Duration = .seconds(10)
    /// Event-loop threads; one per core by default.
    public var threads: Int = min(System.coreCount, Self.threadsLimit)

    /// The most `--max-clients` allowed: a process rarely gets more descriptors than this
    /// (Linux's default `fs.nr_open` is 1,048,576), and it keeps the arithmetic on it safe.
    public static let maxClientsLimit = 1_000_000
    /// The most event-loop threads allowed (each holds descriptors of its own; `chatserver`
    /// checks them against the open-file limit at start).
    public static let threadsLimit = 1024

    /// The defaults: loopback, port 7255, a 5 s interval, a 15 s timeout.
    public init() {}

    /// The timeout in force: the one set, or 3 × the interval.
    public var effectiveAliveTimeout: Duration { self.aliveTimeout ?? self.aliveInterval * 3 }

    /// Checks every value; the error says which one is wrong and why.
    public func validate() throws(ConfigurationError) {
        guard (0...65_535).contains(self.port) else { throw .invalid("--port must be 0...65535, not \(self.port)") }
        guard self.aliveInterval > .zero else { throw .invalid("--alive-interval must be above 0") }
        guard self.aliveInterval <= HeartbeatInterval.maximum else {
            throw .invalid("--alive-interval must be at most 86400 seconds")
        }
        guard HeartbeatInterval.parse(HeartbeatInterval.format(self.aliveInterval)) == self.aliveInterval else {
            throw .invalid("--alive-interval has more than 9 decimals")
        }
        guard self.effectiveAliveTimeout > self.aliveInterval else {
            throw .invalid("--alive-timeout must be larger than --alive-interval")
        }
        guard (1...Self.maxClientsLimit).contains(self.maxClients) else {
            throw .invalid("--max-clients must be 1...\(Self.maxClientsLimit)")
        }
        guard self.maxPendingBytes >= 4096 else { throw .invalid("--max-pending-bytes must be at least 4096") }
        guard (1...Self.threadsLimit).contains(self.threads) else {
            throw .invalid("--threads must be 1...\(Self.threadsLimit)")
        }
        guard self.drainTimeout > .zero, self.drainTimeout <= .seconds(3600) else {
            throw .invalid("--drain-timeout must be above 0 and at most 3600 seconds")
        }
        if let listBudget = self.listBudget, listBudget < 1 << 20 {
            throw .invalid("--list-budget must be at least 1 (MiB a second)")
        }
        try self.cluster?.validate()
        try self.flood.validate()
        if let port = self.tls?.port {
            guard (0...65_535).contains(port) else { throw .invalid("--tls-port must be 0...65535, not \(port)") }
            guard port != self.port || port == 0 else { throw .invalid("--tls-port must differ from --port") }
        }
        if let web = self.web {
            guard (0...65_535).contains(web.address.port) else {
                throw .invalid("--web-address's port must be 0...65535, not \(web.address.port)")
            }
            let taken = [self.port, self.tls?.port].compactMap { $0 }.filter { $0 != 0 }
            guard web.address.port == 0 || !taken.contains(web.address.port) else {
                throw .invalid("--web-address must use a port of its own")
            }
            for origin in web.allowedOrigins where !origin.contains("://") {
                throw .invalid(
                    "--web-allowed-origin must be an origin as browsers send it (https://host[:port]), not '\(origin)'")
            }
        }
        guard .zero <= self.listQuietPeriod, self.listQuietPeriod <= self.listMaxDelay,
            self.listMaxDelay <= .milliseconds(100)
        else {
            throw .invalid("list pushes must wait 0...100 ms, the quiet period no longer than the maximum")
        }
    }
}

/// A configuration value that cannot work.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The message says which option and why.
    case invalid(String)

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .invalid(let message): message
        }
    }
}
