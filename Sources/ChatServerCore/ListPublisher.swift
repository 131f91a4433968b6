import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Pushes the online list to every online client after each change of the online set.
///
/// Coalescing: a push waits until the online set has been quiet for `quietPeriod` (20 ms by
/// default), but never longer than `maxDelay` (100 ms) after the first change it carries. A
/// single join is told to everyone in about 20 ms; a thousand joins in a burst ride along in a
/// handful of pushes, one per `maxDelay`, instead of one each. The push takes one snapshot of
/// the registry, encodes the list once, and hands each event loop one task that gives the
/// shared bodies to each of its connections, whose `ListWriter` writes them behind the client's
/// own header (and conflates lists a slow reader has not taken yet). Pushes are serialised (one
/// scheduled at a time, each enqueued in order on every loop), so a newer list never arrives
/// before an older one.
final class ListPublisher: Sendable {
    private struct Pending {
        /// When the first change not yet pushed happened; `nil` when every change was pushed.
        var since: NIODeadline?
        /// When the latest change happened.
        var latest = NIODeadline.uptimeNanoseconds(0)
    }

    private let registry: Registry
    private let quietPeriod: TimeAmount
    private let maxDelay: TimeAmount
    private let scheduler: any EventLoop
    private let logger: Logger
    private let pending = NIOLockedValueBox(Pending())

    init(registry: Registry, quietPeriod: Duration, maxDelay: Duration, scheduler: any EventLoop, logger: Logger) {
        self.registry = registry
        self.quietPeriod = TimeAmount(quietPeriod)
        self.maxDelay = TimeAmount(maxDelay)
        self.scheduler = scheduler
        self.logger = logger
    }

    /// Notes a change of the online set; the list reaches everyone within `maxDelay`.
    func changed() {
        let now = NIODeadline.now()
        let first = self.pending.withLockedValue { pending in
            pending.latest = now
            guard pending.since == nil else { return false }
            pending.since = now
            return true
        }
        if first { self.scheduler.scheduleTask(deadline: now + self.quietPeriod) { self.check() } }
    }

    /// Pushes if the set has been quiet long enough or the oldest change waited `maxDelay`;
    /// otherwise looks again when one of the two will be true.
    private func check() {
        let due = self.pending.withLockedValue { pending -> NIODeadline? in
            guard let since = pending.since else { return nil }
            let due = min(since + self.maxDelay, pending.latest + self.quietPeriod)
            if NIODeadline.now() >= due {
                // Cleared before the snapshot: a change after this point schedules another push.
                pending.since = nil
                return nil
            }
            return due
        }
        if let due {
            self.scheduler.scheduleTask(deadline: due) { self.check() }
        } else {
            self.publish()
        }
    }

    private func publish() {
        let clients = self.registry.allClients()
        let event = OnlineListEvent(parts: ServerBodies.list(clients.map(\.name)))
        self.logger.debug(
            "pushing the online list", metadata: ["clients": "\(clients.count)", "parts": "\(event.parts.count)"])
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, clients: [ClientHandle])] = [:]
        for client in clients {
            let loop = client.channel.eventLoop
            byLoop[ObjectIdentifier(loop), default: (loop, [])].clients.append(client)
        }
        for (loop, group) in byLoop.values {
            loop.execute {
                for client in group where client.channel.isActive {
                    client.channel.pipeline.syncOperations.fireUserInboundEventTriggered(event)
                }
            }
        }
    }
}
