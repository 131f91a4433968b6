/// Waits between attempts to reach a server: `initial` after the first failure, doubling after
/// each one up to `maximum`, each spread by ±`jitter` at random, so that many clients (or the
/// nodes of a cluster) losing one server do not all come back in the same instant: the
/// reconnect storm. `chatclient` reconnects with it, and the cluster's Redis connections retry
/// with it (`RESPClient`).
public struct Backoff: Sendable {
    /// The wait after the first failure.
    public let initial: Duration
    /// The longest wait.
    public let maximum: Duration
    /// The spread, as a fraction of the wait (0.2: ±20 %).
    public let jitter: Double
    private var failures = 0

    /// Exponential backoff; the defaults wait about 0.5, 1, 2, 4 ... 30 s.
    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The wait after `failures` failures in a row (1 or more), with `random` in -1...1 (a value
    /// outside is taken as the nearer end).
    public func delay(afterFailures failures: Int, random: Double) -> Duration {
        let base = min(self.initial * (1 << min(max(failures, 1) - 1, 20)), self.maximum)
        return base * (1 + self.jitter * max(-1, min(1, random)))
    }

    /// The wait before the next attempt, counting one more failure.
    public mutating func next(using generator: inout some RandomNumberGenerator) -> Duration {
        self.failures += 1
        return self.delay(afterFailures: self.failures, random: Double.random(in: -1...1, using: &generator))
    }

    /// The wait before the next attempt, with the system's random numbers.
    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return self.next(using: &generator)
    }
}
