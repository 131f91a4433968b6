import NIOConcurrencyHelpers
import NIOCore

/// Per source address: how many connections are open, and how many new ones it may still open
/// (`--max-clients-per-ip`, `--max-connects-per-ip-per-sec`). One lock, taken when a connection
/// opens and when it closes, never per message.
final class AddressLimiter: Sendable {
    /// What an address may do now.
    enum Verdict: Equatable {
        case admitted
        /// It has this many connections open already.
        case tooManyOpen(Int)
        /// It opened this many a second already.
        case tooManyNew(Int)
    }

    private struct Entry {
        var open = 0
        var connects: TokenBucket
    }

    private let entries = NIOLockedValueBox([String: Entry]())
    private let maxOpen: Int
    private let connectsPerSecond: Int

    /// The most entries kept before the ones with nothing to remember are swept out.
    private static let sweepAbove = 4096

    init(maxOpen: Int, connectsPerSecond: Int) {
        self.maxOpen = maxOpen
        self.connectsPerSecond = connectsPerSecond
    }

    /// A connection from `address` opened at `now`: counted if admitted.
    func opened(_ address: String, at now: NIODeadline) -> Verdict {
        self.entries.withLockedValue { entries in
            var entry =
                entries[address]
                ?? Entry(
                    connects: TokenBucket(
                        rate: Double(self.connectsPerSecond), capacity: Double(self.connectsPerSecond), now: now))
            guard entry.connects.take(at: now) else {
                entries[address] = entry
                return .tooManyNew(self.connectsPerSecond)
            }
            guard entry.open < self.maxOpen else {
                entries[address] = entry
                return .tooManyOpen(self.maxOpen)
            }
            entry.open += 1
            entries[address] = entry
            if entries.count > Self.sweepAbove {
                entries = entries.filter { $0.value.open > 0 || !$0.value.connects.isFull(at: now) }
            }
            return .admitted
        }
    }

    /// A connection from `address` that `opened` admitted has closed.
    func closed(_ address: String, at now: NIODeadline) {
        self.entries.withLockedValue { entries in
            guard var entry = entries[address] else { return }
            entry.open -= 1
            if entry.open <= 0, entry.connects.isFull(at: now) {
                entries[address] = nil
            } else {
                entries[address] = entry
            }
        }
    }

    /// Connections open from `address` (tests read it).
    func openCount(_ address: String) -> Int {
        self.entries.withLockedValue { $0[address]?.open ?? 0 }
    }
}
