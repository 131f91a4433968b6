import NIOCore

/// A fixed rate as a value: how many messages are due after some time, given how many went.
/// The caller gives the elapsed time, so the rule is tested without a clock.
struct RatePacer {
    /// Messages per second.
    let rate: Double

    /// Messages to send now: `rate × elapsed`, less those already `sent` (never negative: a
    /// sender that fell behind catches up, one that is ahead waits).
    func due(after elapsed: TimeAmount, sent: UInt64) -> UInt64 {
        let owed = self.rate * Double(elapsed.nanoseconds) / 1e9
        guard owed.isFinite, owed > Double(sent) else { return 0 }
        return UInt64(owed) - min(UInt64(owed), sent)
    }
}
