public import Histogram

/// Latency percentiles in microseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    /// The median, µs.
    public var p50: Double
    /// The 90th percentile, µs.
    public var p90: Double
    /// The 99th percentile, µs.
    public var p99: Double
    /// The 99.9th percentile, µs.
    public var p999: Double
    /// The largest value, µs.
    public var max: Double
    /// How many values were recorded.
    public var count: UInt64

    /// The summary of a histogram of nanoseconds.
    public init(_ histogram: Histogram<UInt64>) {
        func micros(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
        self.count = histogram.totalCount
        self.p50 = histogram.totalCount == 0 ? 0 : micros(50)
        self.p90 = histogram.totalCount == 0 ? 0 : micros(90)
        self.p99 = histogram.totalCount == 0 ? 0 : micros(99)
        self.p999 = histogram.totalCount == 0 ? 0 : micros(99.9)
        self.max = histogram.totalCount == 0 ? 0 : Double(histogram.max) / 1000
    }
}

/// What a message benchmark (`relay`, `fanout`) measured.
public struct TrafficResult: Codable, Sendable {
    /// The workload's name.
    public var workload: String
    /// Connections used.
    public var clients: Int
    /// Body size in bytes.
    public var size: Int
    /// Seconds measured (after the warm-up).
    public var seconds: Double
    /// Messages delivered per second in the measured window.
    public var messagesPerSecond: Double
    /// Body megabytes delivered per second.
    public var megabytesPerSecond: Double
    /// One-way latency of the messages delivered in the measured window.
    public var latency: LatencySummary
    /// Messages sent over the whole run, and deliveries expected of them.
    public var sent: UInt64
    /// Deliveries expected of the messages sent.
    public var expected: UInt64
    /// Deliveries received over the whole run.
    public var delivered: UInt64
    /// Deliveries expected and never seen (after the drain).
    public var lost: UInt64
    /// Messages received out of order or twice.
    public var misordered: UInt64
    /// Messages whose body was not what was sent.
    public var corrupted: UInt64
    /// `Offline` answers and server errors received.
    public var offline: UInt64
    /// Connection failures and server errors.
    public var errors: UInt64

    /// Whether every message arrived once, in order, intact.
    public var isClean: Bool { self.lost == 0 && self.misordered == 0 && self.corrupted == 0 && self.errors == 0 }
}

/// What `connections` measured.
public struct ConnectionsResult: Codable, Sendable {
    /// Clients used.
    public var clients: Int
    /// Clients that received `Connected`.
    public var connected: Int
    /// Seconds from the first connect until every client received `Connected`.
    public var connectSeconds: Double
    /// Seconds the clients then stayed, heartbeating.
    public var holdSeconds: Double
    /// The server's resident memory before and after, in kB, when its pid was given.
    public var serverRSSBefore: Int?
    /// The server's resident memory after, in kB.
    public var serverRSSAfter: Int?
    /// Clients that failed or were refused.
    public var errors: Int
}

/// What `joinstorm` measured.
public struct JoinStormResult: Codable, Sendable {
    /// Clients used.
    public var clients: Int
    /// Seconds from the first connect until every client's latest list held all clients.
    public var convergenceSeconds: Double
    /// List bytes received by all clients until then.
    public var listBytes: Int
    /// `listBytes` / (clients × the bytes of one full list): 1.0 is one list per client.
    public var amplification: Double
    /// Clients that failed or were refused.
    public var errors: Int
}
