import Synchronization

/// One list push on its way to its recipients: each connection reports once (`finished()`)
/// when it has nothing of the push left to write: the list reached its socket, a newer push
/// replaced it, it did not need it, or it closed. `ListPublisher` ends the push when all have,
/// or a while after the bulk have (`Milestone.bulk`): a client that does not read holds up
/// nobody for long.
///
/// Counted with one atomic from every loop; a milestone is told once, from the loop that
/// reached it.
final class ListDrain: Sendable {
    /// A point the push reached.
    enum Milestone: Sendable {
        /// All but an eighth of the recipients (at least one of them) finished.
        case bulk
        /// Every recipient finished.
        case all
    }

    /// How many recipients the push was handed to.
    let recipients: Int
    /// How many make the bulk: all but an eighth, at least one.
    let bulk: Int
    private let done = Atomic<Int>(0)
    private let reached: @Sendable (Milestone) -> Void

    /// A push to `recipients` recipients; `reached` is told each milestone once (`.bulk` before
    /// `.all`, or `.all` alone when the two are the same count).
    init(recipients: Int, reached: @escaping @Sendable (Milestone) -> Void) {
        self.recipients = recipients
        self.bulk = max(1, recipients - recipients / 8)
        self.reached = reached
    }

    /// How many recipients have finished.
    var finishedCount: Int { self.done.load(ordering: .relaxed) }

    /// One recipient has nothing of this push left to write. Call it once per recipient.
    func finished() {
        let count = self.done.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        if count == self.recipients {
            self.reached(.all)
        } else if count == self.bulk {
            self.reached(.bulk)
        }
    }
}
