import NIOConcurrencyHelpers
import NIOCore

/// Per source address: how many connections are open, and how many new ones it may still open
/// (`--max-clients-per-ip`, `--max-connects-per-ip-per-sec`). One lock, taken when a connection
/// opens and when it closes, never per message.
final class AddressLimiter: Sendable {
    /// What an address may do now.
    enum Verdict: Equatable {
        /// Admitted; `counted`: open connections are capped, so this one must be given back
        /// (`closed`) when it closes.
        case admitted(counted: Bool)
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
        /// Connections open at once from one address; `.max`: not capped, and not counted (with
        /// the rate alone, nothing is to give back when a connection closes).
        var maxOpen: Int
        var connectsPerSecond: Int

        func newBucket(at now: NIODeadline) -> TokenBucket {
            TokenBucket(rate: Double(self.connectsPerSecond), capacity: Double(self.connectsPerSecond), now: now)
        }
    }

    private let state: NIOLockedValueBox<State>

    /// At most `maxOpen` connections open from one address (`.max`: no cap), and
    /// `connectsPerSecond` new ones a second.
    init(maxOpen: Int, connectsPerSecond: Int) {
        self.state = NIOLockedValueBox(State(maxOpen: maxOpen, connectsPerSecond: connectsPerSecond))
    }

    /// New limits (a reload). Connections open already stay open. A new rate starts every
    /// address with a full bucket. A cap set where there was none counts the connections that
    /// open from now on (the ones open already were not counted).
    func update(maxOpen: Int, connectsPerSecond: Int, at now: NIODeadline) {
        self.state.withLockedValue { state in
            state.maxOpen = maxOpen
            guard connectsPerSecond != state.connectsPerSecond else { return }
            state.connectsPerSecond = connectsPerSecond
            let bucket = state.newBucket(at: now)
            state.entries = state.entries.filter { $0.value.open > 0 }.mapValues {
                Entry(open: $0.open, connects: bucket)
            }
        }
    }

    /// A connection from `address` opened at `now`: counted if admitted (and open ones are capped).
    func opened(_ address: String, at now: NIODeadline) -> Verdict {
        self.state.withLockedValue { state in
            var entry = state.entries[address] ?? Entry(connects: state.newBucket(at: now))
            // The cap on open connections first: a refused one does not spend a new-connection token.
            guard entry.open < state.maxOpen else { return .tooManyOpen(state.maxOpen) }
            guard entry.connects.take(at: now) else {
                state.entries[address] = entry
                return .tooManyNew(state.connectsPerSecond)
            }
            let counted = state.maxOpen != .max
            if counted { entry.open += 1 }
            state.entries[address] = entry
            if state.entries.count > 2 * state.sweptAt {
                state.entries = state.entries.filter { $0.value.open > 0 || !$0.value.connects.isFull(at: now) }
                state.sweptAt = max(4096, state.entries.count)
            }
            return .admitted(counted: counted)
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
