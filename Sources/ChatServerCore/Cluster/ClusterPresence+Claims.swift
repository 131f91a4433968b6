import ChatSystem
import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import Synchronization

/// The claims: an id taken for a Connect (`ClusterScripts.claim`) and the answers to it, this
/// node's ids written again (`register`), an id given back (`release`).
extension ClusterPresence {
    public func admit(_ recipient: LocalRecipient) -> AdmissionAnswer {
        let now = self.clock.now
        guard self.state.withLockedValue({ $0.registered && $0.lease.isValid(at: now) && !$0.stopped }) else {
            return .now(.refused(.unavailable(CloseReason.clusterUnavailableText)))
        }
        let name = recipient.name
        if self.local.local(named: name) != nil { return .now(.refused(.nameTaken(name))) }
        if self.local.count >= self.local.capacity { return .now(.refused(.full(self.local.capacity))) }
        self.state.withLockedValue { _ = $0.claiming.insert(name) }
        let claim = self.command([
            "EVAL", .text(ClusterScripts.claim), "4", .text(self.keys.names), .text(self.keys.version),
            .text(self.keys.lease(self.nodeID)), .text(self.keys.grace), .text(name.text), .text(self.nodeID),
            .text(self.keys.events),
        ])
        // Added to the registry on the client's loop, in the same task that answers its handler:
        // no frame reaches the client before its `Connected`.
        let answer = claim.hop(to: recipient.eventLoop).map { value -> Admission in
            let fenced = self.state.withLockedValue { state in
                state.claiming.remove(name)
                // An answer that arrives after the lease ran out must not add a client that the
                // outage's close has already passed by.
                return !state.lease.isValid(at: self.clock.now) || state.closedForOutage
            }
            switch value {
            case .integer(let version) where version > 0 && !fenced:
                let admission = self.local.add(recipient)
                if case .refused(.full) = admission { self.release(name) }
                return admission
            case .integer(let version) where version > 0:
                self.release(name)
                return .refused(.unavailable(CloseReason.clusterUnavailableText))
            case .integer(0):
                return .refused(.nameTaken(name))
            case .integer(-1):
                // The lease is gone from Redis (restarted, flushed): register again.
                self.link.loop.execute { self.register() }
                return .refused(.unavailable(CloseReason.clusterUnavailableText))
            default:
                // -2: the grace after Redis lost its data; the nodes are registering theirs.
                return .refused(.unavailable(CloseReason.clusterUnavailableText))
            }
        }.flatMapErrorThrowing { error in
            // Redis may have run the claim and its answer was lost: the next registration makes
            // this node's ids in Redis exactly its clients again.
            self.state.withLockedValue { state in
                state.claiming.remove(name)
                state.mustRegister = true
            }
            return .refused(.unavailable(CloseReason.clusterUnavailableText))
        }
        return .later(answer)
    }

    /// Takes the lease and writes this node's ids (all of them: after a restart of Redis, or a
    /// release that failed, Redis may have lost or kept the wrong ones). Ids another node took
    /// meanwhile are closed here.
    func register() {
        let request: (names: [String], again: RESPArgument, runID: String?)? = self.state.withLockedValue { state in
            guard !state.registerInFlight, !state.stopped else { return nil }
            state.registerInFlight = true
            state.mustRegister = false
            let names = Set(self.local.localRecipients().map(\.name)).union(state.claiming)
            let again: RESPArgument = !state.everRegistered ? "0" : state.suspectLoss ? "2" : "1"
            return (names.map(\.text), again, state.redisRunID)
        }
        guard let (names, again, runID) = request else { return }
        let sentAt = self.clock.now
        let arguments: [RESPArgument] =
            [
                "EVAL", .text(ClusterScripts.register), "6", .text(self.keys.names), .text(self.keys.version),
                .text(self.keys.nodes), .text(self.keys.lease(self.nodeID)), .text(self.keys.epoch),
                .text(self.keys.grace), .text(self.nodeID), .text(self.leaseMilliseconds), .text(self.keys.events),
                again, .text(self.leaseValue),
            ] + names.map { .text($0) }
        self.command(arguments).whenComplete { result in
            self.state.withLockedValue { $0.registerInFlight = false }
            if case .success(let value) = result, let parts = value.elements, parts.count == 2,
                case .integer(-1) = parts[0], let holder = parts[1].text
            {
                self.displaced(by: ClusterInstance.holder(inLeaseValue: holder))
                return
            }
            guard case .success(let value) = result, let parts = value.elements, parts.count == 2,
                case .integer = parts[0], let taken = parts[1].elements
            else {
                self.logger.warning("could not register with the cluster", metadata: ["answer": "\(result)"])
                self.state.withLockedValue { $0.mustRegister = true }
                return
            }
            self.state.withLockedValue { state in
                state.registered = true
                state.everRegistered = true
                state.displacedBy = nil
                // A loss suspected after this registration was asked must start its own grace.
                if state.redisRunID == runID { state.suspectLoss = false }
            }
            self.leaseConfirmed(sentAt: sentAt)
            self.link.isUp = true
            self.logger.info("registered with the cluster", metadata: ["clients": "\(names.count)"])
            for name in taken.compactMap(\.text) {
                guard let id = try? ChatName(validating: name), let client = self.local.local(named: id) else {
                    continue
                }
                self.logger.warning(
                    "an id of this node was taken by another node meanwhile", metadata: ["id": "\(name)"])
                client.close(for: .clusterUnavailable)
            }
            self.requestSnapshot()
        }
    }

    /// Another live process holds this node id's lease (started with the same `--node-id`, or
    /// started while this one was paused past its lease): this one stays unregistered, so it
    /// admits no one and its clients are fenced, and tries again at each refresh.
    func displaced(by holder: String) {
        let first = self.state.withLockedValue { state in
            state.mustRegister = true
            defer { state.displacedBy = holder }
            return state.displacedBy != holder
        }
        if first {
            self.logger.error(
                "another process holds this node id's lease: this node admits no one until it is free",
                metadata: ["node-id": "\(self.nodeID)", "holder": "\(holder)"])
        }
    }

    /// Gives `name` back in Redis (it left this node).
    func release(_ name: ChatName) {
        self.command([
            "EVAL", .text(ClusterScripts.release), "2", .text(self.keys.names), .text(self.keys.version),
            .text(name.text), .text(self.nodeID), .text(self.keys.events),
        ]).whenFailure { _ in
            // Redis keeps the id (or loses it with the lease); the next registration corrects it.
            self.state.withLockedValue { $0.mustRegister = true }
        }
    }
}
