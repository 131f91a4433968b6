import ChatSystem
import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import Synchronization

/// The backbone: starting and stopping, the connections to Redis (commands, subscription)
/// and what each does when it comes or goes, and commands with their timeout.
extension ClusterPresence {
    /// How long the start's check of the backbone may take: a connect, a TLS handshake, two
    /// commands. Generous: a busy machine must not turn a slow handshake into "TLS failed".
    static let probeTimeout: Duration = .seconds(10)

    /// Checks the backbone once (a wrong password or a server that is not a usable Redis stops
    /// the start), then connects for good: a Redis out of reach is logged and tried again, and
    /// Connects are refused (`Error cluster unavailable`) until it answers.
    public func start(changed: @escaping @Sendable () -> Void) async throws {
        self.state.withLockedValue { $0.changed = changed }
        do {
            let probe = try await RESPConnection.connect(
                to: self.configuration.endpoint, tls: self.tls, on: self.link.loop, timeout: Self.probeTimeout)
            let deadline = self.link.loop.scheduleTask(in: TimeAmount(Self.probeTimeout)) {
                probe.channel.close(promise: nil)
            }
            defer {
                deadline.cancel()
                Task { await probe.close() }
            }
            try await Self.check(probe)
            deadline.cancel()
            try await self.awaitOwnNodeID(probe)
        } catch let error as ClusterError {
            throw error
        } catch RESPError.server(let text) {
            throw ClusterError.refused(text)
        } catch RESPError.unknownPrimary(let name) {
            throw ClusterError.unusable("the sentinels of \(self.configuration.endpoint) know no primary named \(name)")
        } catch let error as RESPError where error.isOutage {
            self.logger.warning(
                "cannot reach the cluster's Redis; trying again, Connects are refused until then",
                metadata: ["redis": "\(self.configuration.endpoint)", "error": "\(error)"])
        } catch let error as RESPError {
            throw ClusterError.unusable(
                "\(self.configuration.endpoint) does not answer like a Redis server (\(error))")
        } catch let error where ClusterTLS.describe(error) != nil {
            // Settings, not an outage: a certificate that does not verify, no client certificate
            // where Redis asks for one, no TLS over there.
            throw ClusterError.unusable(
                "TLS with \(self.configuration.endpoint) failed: \(ClusterTLS.describe(error) ?? "")")
        } catch {
            self.logger.warning(
                "cannot reach the cluster's Redis; trying again, Connects are refused until then",
                metadata: ["redis": "\(self.configuration.endpoint)", "error": "\(error)"])
        }
        self.commands.start { event in await self.commandsChanged(event) }
        self.link.publisher.start { event in
            if case .disconnected(let why) = event {
                self.logger.debug("the connection for frames to other nodes is down", metadata: ["error": "\(why)"])
            }
        }
        self.subscription.start(
            onMessage: { message in self.received(message) },
            onEvent: { event in await self.subscriptionChanged(event) })
        let lease = self.state.withLockedValue { $0.lease }
        let refresh = self.link.loop.scheduleRepeatedTask(
            initialDelay: lease.refreshInterval, delay: lease.refreshInterval
        ) { _ in self.refresh() }
        let watch = self.link.loop.scheduleRepeatedTask(
            initialDelay: lease.reapInterval, delay: lease.reapInterval
        ) { _ in self.watch() }
        self.state.withLockedValue { $0.timers = [refresh, watch] }
        self.logger.info(
            "cluster node starting",
            metadata: [
                "redis": "\(self.configuration.endpoint)", "cluster": "\(self.configuration.name)",
                "lease": "\(self.configuration.lease)",
            ])
        let giveUp = self.link.loop.scheduleTask(in: Self.startWait) { self.completeReady() }
        try? await self.ready.futureResult.get()
        giveUp.cancel()
    }

    /// Leaves the cluster: the node's ids, lease and membership go from Redis at once (the other
    /// nodes push their lists), then the connections close.
    public func stop() async {
        let timers = self.state.withLockedValue { state in
            state.stopped = true
            defer { state.timers = [] }
            return state.timers
        }
        for timer in timers { timer.cancel() }
        self.completeReady()
        // Whether registered or not (a registration may be on its way): leaving is harmless.
        if self.commands.isConnected {
            let leave = self.command([
                "EVAL", .text(ClusterScripts.leave), "4", .text(self.keys.names), .text(self.keys.version),
                .text(self.keys.nodes), .text(self.keys.lease(self.nodeID)), .text(self.nodeID),
                .text(self.keys.events), .text(self.leaseValue),
            ])
            do {
                _ = try await leave.get()
                self.logger.info("left the cluster")
            } catch {
                self.logger.warning(
                    "could not leave the cluster cleanly; the lease will expire", metadata: ["error": "\(error)"])
            }
        }
        await self.commands.stop()
        await self.link.publisher.stop()
        await self.subscription.stop()
    }

    /// Waits until no other process holds this node id's lease: one that still runs refreshes it
    /// (every third of the lease), and this process then must not start
    /// (`ClusterError.duplicateNode`); one that died (killed, crashed) lets it run out, and this
    /// one takes the id over, as a restarted node does. A lease released by a clean stop is gone
    /// at once. Waits at most a lease and a second more (a Redis that stops answering meanwhile
    /// is the start's usual trouble, not a duplicate).
    func awaitOwnNodeID(_ connection: RESPConnection) async throws {
        let lease = self.configuration.lease
        let guardTask = self.link.loop.scheduleTask(in: TimeAmount(lease + .seconds(1))) {
            connection.channel.close(promise: nil)
        }
        defer { guardTask.cancel() }
        let look = min(max(lease / 40, .milliseconds(10)), .milliseconds(250))
        var lastTimeToLive: Int64?
        while true {
            let answer = try await connection.send([
                "EVAL", .text(ClusterScripts.peekLease), "1", .text(self.keys.lease(self.nodeID)),
            ]).get()
            guard let parts = answer.elements, parts.count == 2, let value = parts[0].text,
                case .integer(let timeToLive) = parts[1], timeToLive > 0
            else { return }  // free (or with no expiry, which no node writes)
            let holder = ClusterInstance.holder(inLeaseValue: value)
            if let last = lastTimeToLive, timeToLive > last {
                throw ClusterError.duplicateNode(id: self.nodeID, holder: holder)
            }
            if lastTimeToLive == nil {
                self.logger.warning(
                    "this node id's lease is held by an earlier process: waiting for it to run out (a process that still runs keeps it, and this one then stops)",
                    metadata: ["node-id": "\(self.nodeID)", "holder": "\(holder)", "left-ms": "\(timeToLive)"])
            }
            lastTimeToLive = timeToLive
            try await Task.sleep(for: look)
        }
    }

    /// Whether `connection` leads to a Redis this cluster can use: Redis 6 or later, scripting on.
    /// Returns the process's `run_id` (another one after a restart or a failover).
    @discardableResult
    static func check(_ connection: RESPConnection) async throws -> String? {
        let info = try await connection.send(["INFO", "server"]).get()
        let lines = info.text?.split(whereSeparator: \.isNewline) ?? []
        guard let line = lines.first(where: { $0.hasPrefix("redis_version:") }) else {
            throw ClusterError.unusable("the server does not say it is Redis (no redis_version in INFO)")
        }
        let runID = lines.first { $0.hasPrefix("run_id:") }.map { String($0.dropFirst("run_id:".count)) }
        let version = String(line.dropFirst("redis_version:".count).filter { !$0.isWhitespace })
        guard let major = Int(version.split(separator: ".").first ?? ""), major >= 6 else {
            throw ClusterError.unusable("Redis \(version) is too old: the cluster needs Redis 6 or later")
        }
        do {
            _ = try await connection.send(["EVAL", "return 1", "0"]).get()
        } catch RESPError.server(let text) {
            throw ClusterError.unusable("Redis does not run scripts (\(text)): the cluster needs EVAL")
        }
        return runID
    }

    /// The command connection came or went.
    func commandsChanged(_ event: RESPClient.Event) async {
        switch event {
        case .connected(let connection):
            let runID: String?
            do {
                runID = try await Self.check(connection)
            } catch {
                self.logger.error("the cluster's Redis cannot be used", metadata: ["error": "\(error)"])
                await connection.close()
                return
            }
            let other = self.state.withLockedValue { state in
                defer { state.redisRunID = runID }
                guard state.everRegistered, state.redisRunID != runID else { return false }
                state.suspectLoss = true
                return true
            }
            if other {
                self.logger.warning(
                    "another Redis process answers (restarted, or a replica promoted): it may lack this node's last claims; registering them again, no new ids for one lease"
                )
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
            let now = self.clock.now
            self.state.withLockedValue { state in
                state.subscriptionEpoch += 1
                state.directory.awaitSnapshot(droppingEvents: true)
                state.probe.connected(at: now)
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
            self.link.loop.execute {
                self.requestSnapshot()
                self.probeDelivery()  // proves the new subscription at once
            }
        case .disconnected:
            self.state.withLockedValue { state in
                state.subscribed = false
                state.subscriptionEpoch += 1
                state.directory.awaitSnapshot(droppingEvents: true)
            }
        }
    }

    /// Sends a command on the command connection; one that takes longer than `commandTimeout`
    /// fails (a Redis that stopped answering must not hold Connects forever).
    func command(_ arguments: [RESPArgument]) -> EventLoopFuture<RESPValue> {
        let answer = self.commands.send(arguments)
        let promise = self.link.loop.makePromise(of: RESPValue.self)
        let timeout = self.link.loop.scheduleTask(in: Self.commandTimeout) {
            promise.fail(RESPError.unexpected("no answer within \(Self.commandTimeout)"))
        }
        answer.whenComplete { result in
            timeout.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }
}
