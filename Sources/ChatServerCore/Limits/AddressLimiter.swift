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

    private struct State {
        var entries: [String: Entry] = [:]
        /// The size after the last sweep: the next waits until the table has doubled, so that
        /// opening a connection stays cheap with many addresses connected.
        var sweptAt = 4096
    }

    private let state = NIOLockedValueBox(State())
    private let maxOpen: Int
    private let connectsPerSecond: Int

    init(maxOpen: Int, connectsPerSecond: Int) {
        self.maxOpen = maxOpen
        self.connectsPerSecond = connectsPerSecond
    }

    /// Whether open connections are capped, and so counted: then each admitted connection must
    /// be given back (`closed`) when it closes; with the rate alone, nothing is to give back.
    var countsOpen: Bool { self.maxOpen != .max }

    /// A connection from `address` opened at `now`: counted if admitted (and open ones are capped).
    func opened(_ address: String, at now: NIODeadline) -> Verdict {
        self.state.withLockedValue { state in
            var entry =
                state.entries[address]
                ?? Entry(
                    connects: TokenBucket(
                        rate: Double(self.connectsPerSecond), capacity: Double(self.connectsPerSecond), now: now))
            // The cap on open connections first: a refused one does not spend a new-connection token.
            guard entry.open < self.maxOpen else { return .tooManyOpen(self.maxOpen) }
            guard entry.connects.take(at: now) else {
                state.entries[address] = entry
                return .tooManyNew(self.connectsPerSecond)
            }
            if self.countsOpen { entry.open += 1 }
            state.entries[address] = entry
            if state.entries.count > 2 * state.sweptAt {
                state.entries = state.entries.filter { $0.value.open > 0 || !$0.value.connects.isFull(at: now) }
                state.sweptAt = max(4096, state.entries.count)
            }
            return .admitted
        }
    }

    /// A connection from `address` that `opened` admitted has closed.
    func closed(_ address: String, at now: NIODeadline) {
        self.state.withLockedValue { state in
            guard var entry = state.entries[address] else { return }
            entry.open -= 1
            if entry.open <= 0, entry.connects.isFull(at: now) {
                state.entries[address] = nil
            } else {
                state.entries[address] = entry
            }
        }
    }

    /// Connections open from `address` (tests read it).
    func openCount(_ address: String) -> Int {
        self.state.withLockedValue { $0.entries[address]?.open ?? 0 }
    }
}
