import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Pushes the online list to every online client after each change of the online set.
///
/// Coalescing: the first change after a push schedules the next push `delay` later; changes
/// until then ride along. A thousand joins in one burst cause a handful of pushes. The push
/// takes one snapshot of the registry, encodes the list once, and hands each event loop one
/// task that gives the shared bodies to each of its connections, whose `ListWriter` writes them
/// behind the client's own header (and conflates lists a slow reader has not taken yet). Pushes
/// are serialised (one scheduled at a time, each enqueued in order on every loop), so a newer
/// list never arrives before an older one.
final class ListPublisher: Sendable {
    private let registry: Registry
    private let delay: TimeAmount
    private let scheduler: any EventLoop
    private let logger: Logger
    private let pending = NIOLockedValueBox(false)

    init(registry: Registry, delay: Duration, scheduler: any EventLoop, logger: Logger) {
        self.registry = registry
        self.delay = TimeAmount(delay)
        self.scheduler = scheduler
        self.logger = logger
    }

    /// Notes a change of the online set; the list reaches everyone within `delay`.
    func changed() {
        let schedule = self.pending.withLockedValue { pending in
            defer { pending = true }
            return !pending
        }
        guard schedule else { return }
        self.scheduler.scheduleTask(in: self.delay) { self.publish() }
    }

    private func publish() {
        // Cleared before the snapshot: a change after this point schedules another push.
        self.pending.withLockedValue { $0 = false }
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
