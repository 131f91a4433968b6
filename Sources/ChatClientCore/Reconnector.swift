import ChatSystem

/// Reconnecting after the server was lost: waits out each `Backoff` delay on `clock`, then
/// tries again, until an attempt succeeds or the user quits. The clock is injected, so tests
/// move time by hand; `chatclient` uses the `ContinuousClock`.
struct Reconnector<C: Clock> where C.Duration == Duration {
    /// How often a wait looks whether the user quit meanwhile.
    static var quitCheck: Duration { .milliseconds(100) }

    var backoff: Backoff
    let clock: C

    /// Waits, tries, and waits longer after each failure; `nil` once `isQuitting` says so.
    ///
    /// - Parameters:
    ///   - waiting: told each delay before it starts (for a notice to the user).
    ///   - attempt: one try; `nil` when it failed.
    mutating func run<T>(
        isQuitting: () async -> Bool,
        waiting: (Duration) async -> Void,
        attempt: () async -> T?
    ) async -> T? {
        while true {
            let delay = self.backoff.next()
            await waiting(delay)
            let wakeUp = self.clock.now.advanced(by: delay)
            // Sleep in short steps so that a quit is noticed at once.
            while self.clock.now < wakeUp {
                if await isQuitting() { return nil }
                let step = min(Self.quitCheck, self.clock.now.duration(to: wakeUp))
                try? await self.clock.sleep(until: self.clock.now.advanced(by: step), tolerance: nil)
            }
            if await isQuitting() { return nil }
            if let result = await attempt() { return result }
        }
    }
}
