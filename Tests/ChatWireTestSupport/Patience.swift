/// How long a test waits for something that must happen (a frame, a close, a line from a
/// program) before it calls the test failed. A hang guard, not a time rule: no assertion
/// depends on it, so a machine busy with ThreadSanitizer or other work passes the same tests,
/// only slower. Rules that depend on time are tested on clocks the tests move
/// (`ManualServerClock`, `ManualClock`, `EmbeddedEventLoop`).
public enum Patience {
    /// The guard on every wait.
    public static let guardTime: Duration = .seconds(60)
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
