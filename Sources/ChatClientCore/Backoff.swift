/// Delays between reconnection attempts: exponential from `initial` up to `maximum`, each
/// spread by ±`jitter` at random, so that many clients losing one server do not all come back
/// in the same instant (a known failure of chat clients: the reconnect storm).
public struct Backoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    /// The spread, as a fraction of the delay (0.2: ±20 %).
    public let jitter: Double
    private var attempt = 0

    /// Exponential backoff; the defaults wait about 0.5, 1, 2, 4 ... 30 s.
    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The delay before the next attempt.
    public mutating func next(using generator: inout some RandomNumberGenerator) -> Duration {
        let base = min(self.initial * (1 << min(self.attempt, 20)), self.maximum)
        self.attempt += 1
        let factor = 1 + Double.random(in: -self.jitter...self.jitter, using: &generator)
        return base * factor
    }

    /// The delay before the next attempt, with the system's random numbers.
    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return self.next(using: &generator)
    }
}
