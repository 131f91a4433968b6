import Synchronization

/// Whether the server takes clients now: not before its listeners are bound, not once it has
/// begun to stop, nor while its presence's backbone (a cluster's Redis) is down or its copy of
/// the directory is behind.
final class Readiness: Sendable {
    private let serving = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let presence: any Presence

    /// Readiness of a server with `presence`.
    init(presence: any Presence) {
        self.presence = presence
    }

    /// Every listener is bound: clients can connect from now on.
    func beginServing() {
        self.serving.store(true, ordering: .relaxed)
    }

    /// The server has begun to stop (drain, shutdown): not ready from now on.
    func beginStopping() {
        self.stopping.store(true, ordering: .relaxed)
    }

    /// Why the server is not ready, or `nil`: it is.
    var problem: String? {
        if self.stopping.load(ordering: .relaxed) { return "shutting down" }
        guard self.serving.load(ordering: .relaxed) else { return "starting" }
        return self.presence.backbone?.problem
    }
}
