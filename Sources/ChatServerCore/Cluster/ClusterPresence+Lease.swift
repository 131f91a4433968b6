import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import Synchronization

/// The lease and the fence (docs/CLUSTER.md): refreshed every third of it, and this node's
/// clients closed once it has run out, before Redis can let another node take their ids.
extension ClusterPresence {

    /// Behind Sentinel: asks the sentinels whether the primary this node's connections go to
    /// is still the one a majority of them name; if not, drops them, and they connect to the
    /// one named now. A primary that the sentinels demoted can stay a primary for seconds
    /// before they reconfigure it (seen: 10 s, after two failovers close together), and a node
    /// that stayed on it would write what the other nodes never see. Once per refresh.
    func checkPrimary() {
        guard case .sentinel(let sentinels) = self.configuration.endpoint,
            let current = self.commands.connectedEndpoint,
            self.state.withLockedValue({ state in
                defer { state.primaryCheckInFlight = true }
                return !state.primaryCheckInFlight && !state.stopped
            })
        else { return }
        Task {
            defer { self.state.withLockedValue { $0.primaryCheckInFlight = false } }
            guard let named = try? await sentinels.primary(on: self.link.loop, timeout: .seconds(1)),
                named.host != current.host || named.port != current.port
            else { return }
            self.logger.warning(
                "the sentinels name another primary than this node's: connecting to it",
                metadata: ["primary": "\(named.host):\(named.port)", "was": "\(current.host):\(current.port)"])
            self.commands.dropConnection()
            self.link.publisher.dropConnection()
            self.subscription.dropConnection()
        }
    }

    /// Refreshes the lease (every third of it), or registers again when Redis lost it.
    func refresh() {
        self.checkPrimary()
        let (registered, mustRegister) = self.state.withLockedValue { ($0.registered, $0.mustRegister) }
        guard self.commands.isConnected else { return }
        guard registered, !mustRegister else {
            self.register()
            return
        }
        let sentAt = self.clock.now
        // The versions this node had seen before it asked: Redis made them before it ran the
        // refresh, so a lower answer means Redis lost them. (Not the copy's version when the
        // answer comes: events published after the refresh ran may arrive first, on the other
        // connection.)
        let knownAtSend = self.state.withLockedValue { $0.directory.version }
        self.command([
            "EVAL", .text(ClusterScripts.refresh), "2", .text(self.keys.lease(self.nodeID)), .text(self.keys.version),
            .text(self.leaseMilliseconds), .text(self.leaseValue),
        ]).whenSuccess { value in
            guard case .integer(let version) = value else { return }
            guard version >= 0 else {
                self.logger.warning(
                    "Redis lost this node's lease (restarted or flushed, or it ran out and another process took it); registering again"
                )
                self.register()
                return
            }
            let wentBack = self.state.withLockedValue { state in
                guard let known = knownAtSend, UInt64(version) < known else { return false }
                state.suspectLoss = true
                return true
            }
            if wentBack {
                self.logger.warning(
                    "the cluster's version went back (Redis lost its last writes): registering this node's ids again")
                self.register()
                return
            }
            self.leaseConfirmed(sentAt: sentAt)
            let outcome = self.state.withLockedValue { $0.directory.check(redisVersion: UInt64(version)) }
            if outcome == .needsSnapshot { self.requestSnapshot() }
            self.probeDelivery()
        }
    }

    /// Checks delivery (`DeliveryProbe`) and publishes a probe to this node's own inbox: a
    /// subscription that has not proven itself within the lease is dropped (a new one subscribes
    /// and reads the directory again), even one whose SUBSCRIBE never got its answer.
    func probeDelivery() {
        let now = self.clock.now
        let (subscribed, mustDrop) = self.state.withLockedValue { state in
            (state.subscribed, state.probe.mustDrop(at: now, patience: self.probePatience))
        }
        if mustDrop, self.subscription.isConnected {
            self.logger.warning(
                "the cluster's Redis does not deliver to this node (a probe did not come back within the lease); subscribing again"
            )
            self.subscription.dropConnection()
            return
        }
        guard subscribed else { return }
        let probe = ClusterPayload.start(origin: self.nodeID, capacity: 0)
        self.state.withLockedValue { $0.probe.sent(at: now) }
        self.link.publisher.send(["PUBLISH", .text(self.keys.inbox(self.nodeID)), .bytes(probe)]).whenComplete { _ in }
    }

    /// Redis confirmed the lease (a refresh or a registration sent at `sentAt`): extends it, and
    /// sets a timer for the moment it would run out.
    func leaseConfirmed(sentAt: NIODeadline) {
        self.observer.backboneRoundTrip(Duration(self.clock.now - sentAt))
        let until: NIODeadline? = self.state.withLockedValue { state in
            state.lease.confirmed(sentAt: sentAt)
            self.leaseFence.set(until: state.lease.validUntil)
            state.closedForOutage = false  // a later outage closes the clients again
            return state.lease.validUntil
        }
        guard let until else { return }
        // Stale timers find the lease extended and do nothing.
        self.clock.schedule(at: until, on: self.link.loop) { self.fenceIfExpired() }
    }

    /// Closes this node's clients (`Error cluster unavailable`) once its lease has run out: from
    /// then on Redis may let another node take their ids.
    func fenceIfExpired() {
        let now = self.clock.now
        let close = self.state.withLockedValue { state in
            guard !state.lease.isValid(at: now), !state.closedForOutage, !state.stopped else { return false }
            state.closedForOutage = true
            state.lease.lost()
            self.leaseFence.set(until: nil)
            return true
        }
        guard close else { return }
        let clients = self.local.localRecipients()
        if !clients.isEmpty {
            self.logger.warning(
                "the cluster's Redis has been out of reach for the whole lease: closing this node's clients",
                metadata: ["clients": "\(clients.count)"])
        }
        for client in clients { client.close(for: .clusterUnavailable) }
    }
}
