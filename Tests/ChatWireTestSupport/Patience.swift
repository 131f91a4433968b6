#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How long a test waits for something that must happen (a frame, a close, a line from a
/// program) before it calls the test failed. A hang guard, not a time rule: no assertion
/// depends on it, so a machine busy with ThreadSanitizer or other work passes the same tests,
/// only slower. Rules that depend on time are tested on clocks the tests move
/// (`ManualServerClock`, `ManualClock`, `EmbeddedEventLoop`).
public enum Patience {
    /// How many times slower than a normal run this one may be: `CHAT255_TIME_SCALE`, set by
    /// scripts/tsan.sh for the tests that run on real time (real processes, leases, Redis
    /// restarts); 1 otherwise. A bound scaled by it keeps its meaning: "within the lease + 1 s"
    /// becomes "within (lease + 1 s) × scale" with a lease that is itself scaled, and a normal
    /// run checks the exact bound.
    public static let timeScale: Double = {
        guard let text = getenv("CHAT255_TIME_SCALE").map({ String(cString: $0) }) else { return 1 }
        guard let scale = Double(text), scale >= 1, scale <= 100 else {
            fatalError("CHAT255_TIME_SCALE must be a number from 1 to 100, not '\(text)'")
        }
        return scale
    }()

    /// `duration` × `timeScale`.
    public static func scaled(_ duration: Duration) -> Duration { duration * Self.timeScale }

    /// `duration` × `timeScale` in seconds, as a program's option takes it (`--cluster-lease`).
    public static func scaledArgument(_ duration: Duration) -> String {
        let scaled = Self.scaled(duration)
        return "\(Double(scaled.components.seconds) + Double(scaled.components.attoseconds) / 1e18)"
    }

    /// The guard on every wait (scaled: a hang guard only, it may grow with the machine's slowness).
    public static let guardTime: Duration = Self.scaled(.seconds(60))
    /// The alive timeout of test servers whose tests are not about it: a machine slowed to a
    /// crawl (ThreadSanitizer, a busy core) never retires their clients, which send no `Alive`.
    /// Tests of the timeout set their own, on a clock they move.
    public static let aliveTimeout: Duration = .seconds(600)
}

/// Waits until `condition` holds, looking every few milliseconds, for at most `timeout`.
///
/// - Throws: `TestFailure` naming `what` when the guard runs out.
public func waitUntil(
    _ what: String, timeout: Duration = Patience.guardTime, _ condition: () async throws -> Bool
) async throws {
    let start = ContinuousClock.now
    while try await !condition() {
        guard ContinuousClock.now - start < timeout else { throw TestFailure("\(what): not within \(timeout)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}
