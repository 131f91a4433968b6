import NIOCore

/// How much one client may send (`--max-msgs-per-sec`, `--max-burst`, `--max-bytes-per-sec`):
/// a token bucket on frames and one on bytes. A client over its rate is slowed, not cut off: at
/// the end of a read burst the gate says until when the server stops reading from it, and TCP
/// pushes back on the client meanwhile. Nothing it sent is dropped.
///
/// A value held by a connection's `ReadPacingHandler`, which is in the pipeline only when a
/// limit is set.
struct FloodGate {
    private var frames: TokenBucket?
    private var bytes: TokenBucket?
    /// Reading is paused until the buckets are out of debt.
    var isPaused = false
    /// Reads were made small (`readChunk`) at the first pause: a client that went over its rate
    /// is read about 20 ms of its allowance at a time, so that each resumption costs the loop
    /// little (read whole, a flooder's backlog is thousands of frames in one burst).
    var readsNarrowed = false
    /// The bytes read at a time from a client that went over its rate.
    let readChunk: Int

    /// A gate for `limits` at `now`; `nil` when no limit is set.
    init?(_ limits: FloodLimits, now: NIODeadline) {
        guard limits.isEnabled else { return nil }
        let bytesPerSecond = limits.bytesPerSecond > 0 ? limits.bytesPerSecond : limits.messagesPerSecond * 64
        self.readChunk = max(256, min(65_536, bytesPerSecond / 50))
        if limits.messagesPerSecond > 0 {
            self.frames = TokenBucket(
                rate: Double(limits.messagesPerSecond), capacity: Double(limits.effectiveBurst), now: now)
        }
        if limits.bytesPerSecond > 0 {
            // A second's worth of bytes, and never less than one whole frame.
            self.bytes = TokenBucket(
                rate: Double(limits.bytesPerSecond), capacity: Double(max(limits.bytesPerSecond, 256)), now: now)
        }
    }

    /// A read burst of `frames` frames and `bytes` bytes ended at `now`: until when reading must
    /// pause (`nil`: go on).
    mutating func burst(frames: Int, bytes: Int, at now: NIODeadline) -> NIODeadline? {
        let framesDue = self.frames?.spend(Double(frames), at: now)
        let bytesDue = self.bytes?.spend(Double(bytes), at: now)
        switch (framesDue, bytesDue) {
        case (nil, nil): return nil
        case (let due?, nil), (nil, let due?): return due
        case (let first?, let second?): return max(first, second)
        }
    }
}
