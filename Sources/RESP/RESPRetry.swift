/// How long a `RESPClient` waits before each new attempt to reach the server: `first`, doubling
/// after each failure up to `limit`, each spread by ±`jitter` so that the nodes of a cluster do
/// not all come back in the same instant.
public struct RESPRetry: Sendable {
    /// The wait after the first failure.
    public var first: Duration
    /// The longest wait.
    public var limit: Duration
    /// The spread, as a fraction of the wait (0.2: ±20 %).
    public var jitter: Double

    /// 100 ms, doubling up to 2 s, ±20 %.
    public init(first: Duration = .milliseconds(100), limit: Duration = .seconds(2), jitter: Double = 0.2) {
        self.first = first
        self.limit = limit
        self.jitter = jitter
    }

    /// The wait after `failures` failures in a row (1 or more), with `random` in -1...1.
    public func delay(afterFailures failures: Int, random: Double) -> Duration {
        let base = min(self.first * (1 << min(max(failures, 1) - 1, 20)), self.limit)
        return base * (1 + self.jitter * max(-1, min(1, random)))
    }
}
