import NIOCore

/// Clients whose Connect a cluster node refused for now, to be connected again.
///
/// A node answers `Error cluster unavailable` and closes while it cannot vouch for ids
/// (PROTOCOL rule 12): Redis not reached yet, the grace of one lease after Redis lost its data,
/// or a claim that ran past its timeout on a busy machine. That is the node doing its job, not
/// a failure of the run: the benchmark connects such a client again after `delay`, while it
/// waits for every client to be ready (within its own timeout). Confined to one worker's loop.
struct BenchRetries {
    /// The text of the one refusal a client tries again after.
    static let refusalText = "cluster unavailable"
    /// How long after the refusal the client connects again: short against a grace of one
    /// lease, long enough not to turn a node that refuses into a busy loop.
    static let delay = TimeAmount.milliseconds(200)

    private var pending: [(index: Int, due: NIODeadline)] = []
    /// How many times clients were connected again so far.
    private(set) var count = 0

    /// Client `index` was refused for now at `now`.
    mutating func refused(_ index: Int, at now: NIODeadline = .now()) {
        self.pending.append((index, now + Self.delay))
    }

    /// The clients whose time to connect again has come, taken out of the list.
    mutating func due(at now: NIODeadline = .now()) -> [Int] {
        let due = self.pending.filter { $0.due <= now }.map(\.index)
        self.pending.removeAll { $0.due <= now }
        self.count += due.count
        return due
    }
}
