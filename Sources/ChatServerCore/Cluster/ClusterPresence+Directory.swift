import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import Synchronization

/// The copy of the directory: watching it, snapshots, events replayed.
extension ClusterPresence {
    /// Four times a lease (at most every 250 ms): drops dead nodes' ids, and reloads a directory
    /// copy that fell behind; checks the lease too (its own timer is the one that counts).
    func watch() {
        self.fenceIfExpired()
        let now = self.clock.now
        let (reap, reload) = self.state.withLockedValue { state in
            (
                state.registered && state.lease.isValid(at: now),
                state.subscribed && !state.directory.isCurrent && !state.snapshotInFlight
            )
        }
        if reap {
            self.command([
                "EVAL", .text(ClusterScripts.reap), "3", .text(self.keys.names), .text(self.keys.version),
                .text(self.keys.nodes), .text(self.keys.leasePrefix), .text(self.keys.events),
            ]).whenSuccess { value in
                if case .integer(let version) = value, version > 0 {
                    self.logger.info("removed the clients of nodes whose lease expired")
                }
            }
        }
        if reload { self.requestSnapshot() }
    }

    /// Reads the whole directory at one instant; the events kept meanwhile are replayed on it.
    func requestSnapshot() {
        let epoch: Int? = self.state.withLockedValue { state in
            guard state.subscribed, !state.snapshotInFlight, !state.stopped else { return nil }
            state.snapshotInFlight = true
            state.directory.awaitSnapshot(droppingEvents: false)
            return state.subscriptionEpoch
        }
        guard let epoch else { return }
        self.command(["EVAL", .text(ClusterScripts.snapshot), "2", .text(self.keys.names), .text(self.keys.version)])
            .whenComplete { result in
                var owners: [ChatName: String] = [:]
                var version: UInt64?
                if case .success(let value) = result, let parts = value.elements, parts.count == 2,
                    case .integer(let number) = parts[0], number >= 0, let flat = parts[1].elements
                {
                    version = UInt64(number)
                    var index = 0
                    while index + 1 < flat.count {
                        if let text = flat[index].text, let name = try? ChatName(validating: text),
                            let node = flat[index + 1].text
                        {
                            owners[name] = node
                        }
                        index += 2
                    }
                }
                let outcome: ClusterDirectory.Outcome? = self.state.withLockedValue { state in
                    state.snapshotInFlight = false
                    // Read before the subscription was made again: changes since may be missing.
                    guard state.subscriptionEpoch == epoch else { return .needsSnapshot }
                    guard let version else { return nil }
                    // Nodes that hold no id any more (stopped, died, restarted under a new id) go.
                    let holding = Set(owners.values)
                    state.nodes = state.nodes.filter { holding.contains($0.key) }
                    return state.directory.load(version: version, owners: owners)
                }
                guard let outcome else {
                    self.logger.debug("could not read the directory; trying again", metadata: ["answer": "\(result)"])
                    return
                }
                self.handle(outcome)
                if self.state.withLockedValue({ $0.registered && $0.directory.isCurrent }) { self.completeReady() }
            }
    }

    /// Lets the start go on (once).
    func completeReady() {
        let first = self.state.withLockedValue { state in
            defer { state.readyCompleted = true }
            return !state.readyCompleted
        }
        if first { self.ready.succeed() }
    }

    /// Does what a change of the copied directory asks for.
    func handle(_ outcome: ClusterDirectory.Outcome) {
        switch outcome {
        case .unchanged:
            break
        case .changed:
            self.remoteChanges.add(1, ordering: .releasing)
            self.state.withLockedValue { $0.changed }?()
        case .needsSnapshot:
            self.requestSnapshot()
        }
    }
}
