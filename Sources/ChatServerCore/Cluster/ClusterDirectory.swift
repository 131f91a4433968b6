import ChatWire

/// This node's copy of the cluster's directory (id → node), kept exact by applying the
/// published changes in version order on top of a snapshot.
///
/// A value: `ClusterPresence` holds it under its lock and does the I/O its answers ask for.
/// Until a snapshot is loaded (at start, after a reconnect, after a missed change) events are
/// kept and replayed on top of it; a gap in the versions, a `reload` event, or a Redis whose
/// version went back (restarted empty) asks for a new snapshot. The copy keeps serving the last
/// known directory meanwhile.
struct ClusterDirectory {
    /// What the caller must do after a change.
    enum Outcome: Equatable {
        /// Nothing changed.
        case unchanged
        /// The directory changed: push the list, drop cached lookups.
        case changed
        /// A change was missed: load a snapshot (`load`), keeping events until it comes.
        case needsSnapshot
    }

    /// The most events kept while a snapshot is awaited; past it, another snapshot is needed.
    static let maxPendingEvents = 100_000

    /// Who holds each id.
    private(set) var owners: [ChatName: String] = [:]
    /// The version `owners` is at; `nil` until the first snapshot.
    private(set) var version: UInt64?
    /// Whether a snapshot is awaited (events are kept meanwhile).
    private(set) var awaitingSnapshot = true
    private var pending: [ClusterEvent] = []
    private var pendingOverflowed = false
    /// The version Redis reported at the last lease refresh (`check`).
    private var previousRedisVersion: UInt64?

    /// Whether the copy is in step with Redis (a snapshot loaded, nothing missed since).
    var isCurrent: Bool { !self.awaitingSnapshot }

    /// Applies a published change.
    mutating func receive(_ event: ClusterEvent) -> Outcome {
        if self.awaitingSnapshot {
            if self.pending.count < Self.maxPendingEvents {
                self.pending.append(event)
            } else {
                self.pendingOverflowed = true
            }
            return .unchanged
        }
        return self.apply(event)
    }

    /// Starts waiting for a snapshot: events are kept from now on (after a new subscription,
    /// call it before subscribing; the events from before are dropped).
    mutating func awaitSnapshot(droppingEvents: Bool) {
        self.awaitingSnapshot = true
        if droppingEvents {
            self.pending.removeAll()
            self.pendingOverflowed = false
        }
    }

    /// Loads the directory as Redis had it at `version`, then the changes kept since.
    mutating func load(version: UInt64, owners: [ChatName: String]) -> Outcome {
        let before = self.owners
        self.owners = owners
        self.version = version
        self.awaitingSnapshot = false
        self.previousRedisVersion = nil
        let kept = self.pending
        let overflowed = self.pendingOverflowed
        self.pending.removeAll()
        self.pendingOverflowed = false
        if overflowed {
            self.awaitingSnapshot = true
            return .needsSnapshot
        }
        for event in kept where self.apply(event) == .needsSnapshot {
            self.awaitingSnapshot = true
            return .needsSnapshot
        }
        return self.owners == before ? .unchanged : .changed
    }

    /// Compares with the version Redis reported at a lease refresh: lower than the copy means
    /// Redis lost its data; lower than what Redis reported one refresh before means a change was
    /// missed (every change published before that refresh has had a whole refresh period to
    /// arrive). Returns whether a snapshot is needed.
    mutating func check(redisVersion: UInt64) -> Outcome {
        defer { self.previousRedisVersion = redisVersion }
        guard self.isCurrent, let version = self.version else { return .unchanged }
        let missed = self.previousRedisVersion.map { version < $0 } ?? false
        guard redisVersion < version || missed else { return .unchanged }
        self.awaitingSnapshot = true
        return .needsSnapshot
    }

    private mutating func apply(_ event: ClusterEvent) -> Outcome {
        let current = self.version ?? 0
        guard event.version > current else { return .unchanged }  // already in the snapshot
        if case .reload = event {
            self.awaitingSnapshot = true
            return .needsSnapshot
        }
        guard event.version == current + 1 else {
            self.awaitingSnapshot = true
            return .needsSnapshot
        }
        self.version = event.version
        switch event {
        case .joined(_, let node, let name):
            self.owners[name] = node
        case .left(_, let node, let name):
            if self.owners[name] == node { self.owners[name] = nil }
        case .nodesGone(_, let nodes):
            let gone = Set(nodes)
            self.owners = self.owners.filter { !gone.contains($0.value) }
        case .reload:
            break
        }
        return .changed
    }
}
