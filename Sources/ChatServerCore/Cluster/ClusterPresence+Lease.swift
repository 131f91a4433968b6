import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import Synchronization

/// The backbone's connections, registration, the lease and the fence (docs/CLUSTER.md).
extension ClusterPresence {
    /// The command connection came or went.
    func commandsChanged(_ event: RESPClient.Event) async {
        switch event {
        case .connected(let connection):
            do {
                try await Self.check(connection)
            } catch {
                self.logger.error("the cluster's Redis cannot be used", metadata: ["error": "\(error)"])
                await connection.close()
                return
            }
            self.logger.info("connected to the cluster's Redis")
            self.link.loop.execute { self.register() }
        case .disconnected(let why):
            let was = self.state.withLockedValue { state in
                defer { state.registered = false }
                return state.registered
            }
            self.link.isUp = false
            if was {
                self.logger.warning("lost the cluster's Redis; trying again", metadata: ["error": "\(why)"])
            }
        }
    }

    /// The subscription came or went: on a new one, subscribe, then read the whole directory.
    func subscriptionChanged(_ event: RESPClient.Event) async {
        switch event {
        case .connected(let connection):
            self.state.withLockedValue { state in
                state.subscriptionEpoch += 1
                state.directory.awaitSnapshot(droppingEvents: true)
            }
            do {
                _ = try await connection.send(["SUBSCRIBE", .text(self.keys.events)]).get()
                _ = try await connection.send(["SUBSCRIBE", .text(self.keys.inbox(self.nodeID))]).get()
            } catch {
                self.logger.warning("cannot subscribe", metadata: ["error": "\(error)"])
                await connection.close()
                return
            }
            self.state.withLockedValue { $0.subscribed = true }
            self.link.loop.execute { self.requestSnapshot() }
        case .disconnected:
            self.state.withLockedValue { state in
                state.subscribed = false
                state.subscriptionEpoch += 1
                state.directory.awaitSnapshot(droppingEvents: true)
            }
        }
    }

    /// Takes the lease and writes this node's ids (all of them: after a restart of Redis, or a
    /// release that failed, Redis may have lost or kept the wrong ones). Ids another node took
    /// meanwhile are closed here.
    func register() {
        let request: (names: [String], again: Bool)? = self.state.withLockedValue { state in
            guard !state.registerInFlight, !state.stopped else { return nil }
            state.registerInFlight = true
            state.mustRegister = false
            let names = Set(self.local.localRecipients().map(\.name)).union(state.claiming)
            return (names.map(\.text), state.everRegistered)
        }
        guard let (names, again) = request else { return }
        let sentAt = self.clock.now
        let arguments: [RESPArgument] =
            [
                "EVAL", .text(ClusterScripts.register), "6", .text(self.keys.names), .text(self.keys.version),
                .text(self.keys.nodes), .text(self.keys.lease(self.nodeID)), .text(self.keys.epoch),
                .text(self.keys.grace), .text(self.nodeID), .text(self.leaseMilliseconds), .text(self.keys.events),
                again ? "1" : "0",
            ] + names.map { .text($0) }
        self.command(arguments).whenComplete { result in
            self.state.withLockedValue { $0.registerInFlight = false }
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

    /// Refreshes the lease (every third of it), or registers again when Redis lost it.
    func refresh() {
        let (registered, mustRegister) = self.state.withLockedValue { ($0.registered, $0.mustRegister) }
        guard self.commands.isConnected else { return }
        guard registered, !mustRegister else {
            self.register()
            return
        }
        let sentAt = self.clock.now
        self.command([
            "EVAL", .text(ClusterScripts.refresh), "2", .text(self.keys.lease(self.nodeID)), .text(self.keys.version),
            .text(self.leaseMilliseconds),
        ]).whenSuccess { value in
            guard case .integer(let version) = value else { return }
            guard version >= 0 else {
                self.logger.warning("Redis lost this node's lease (restarted or flushed); registering again")
                self.register()
                return
            }
            self.leaseConfirmed(sentAt: sentAt)
            let outcome = self.state.withLockedValue { $0.directory.check(redisVersion: UInt64(version)) }
            if outcome == .needsSnapshot { self.requestSnapshot() }
        }
    }

    /// Redis confirmed the lease (a refresh or a registration sent at `sentAt`): extends it, and
    /// sets a timer for the moment it would run out.
    func leaseConfirmed(sentAt: NIODeadline) {
        let until: NIODeadline? = self.state.withLockedValue { state in
            state.lease.confirmed(sentAt: sentAt)
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
