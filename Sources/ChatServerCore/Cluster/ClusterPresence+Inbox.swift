import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import Synchronization

/// The inbox: what arrives on the subscription, directory events and frames from other nodes.
/// (The outbox is `ClusterNode`: one per other node, publishing through the `ClusterLink`.)
extension ClusterPresence {
    /// A published message: a change of the directory, or frames for this node's clients.
    func received(_ message: RESPMessage) {
        if message.channel == self.keys.events {
            guard let event = ClusterEvent(line: String(buffer: message.payload)) else {
                self.logger.warning(
                    "unreadable cluster event; reloading", metadata: ["event": "\(String(buffer: message.payload))"])
                self.state.withLockedValue { $0.directory.awaitSnapshot(droppingEvents: true) }
                self.requestSnapshot()
                return
            }
            self.handle(self.state.withLockedValue { $0.directory.receive(event) })
        } else {
            self.arrived(message.payload)
        }
    }

    /// Frames from another node: each goes to its client here (`ALL` to all of them); direct
    /// messages for an id not here are answered `Offline` back through the sending node.
    func arrived(_ payload: ByteBuffer) {
        guard let (origin, frames) = ClusterPayload.read(payload) else {
            self.logger.warning("unreadable message in this node's inbox")
            return
        }
        // Only this node's delivery probe comes from itself.
        guard origin != self.nodeID else {
            self.state.withLockedValue { $0.probe.heard() }
            return
        }
        // Past the lease (a pause longer than it, and the fence's timer not run yet), this
        // node's clients may be another node's by now: nothing reaches them, they are closed.
        guard self.leaseFence.holds(at: self.clock.now) else {
            self.fenceIfExpired()
            return
        }
        self.observer.receivedFromNode()
        let sender = self.state.withLockedValue { self.node(origin, in: &$0) }
        var batch = OutboundBatch()
        var cursor = frames
        var nobody = ByteBufferAllocator().buffer(capacity: 0)
        while cursor.readableBytes > 0 {
            guard let header = try? FrameDecoder.header(of: cursor), let frame = cursor.readSlice(length: header.length)
            else {
                self.logger.warning("malformed frames from another node", metadata: ["node": "\(origin)"])
                break
            }
            if header.destination == .all {
                for client in self.local.localRecipients() { batch.append(frame, to: client) }
            } else if let client = self.local.local(named: header.destination) {
                batch.append(frame, to: client)
            } else {
                nobody.writeImmutableBuffer(frame)
            }
        }
        batch.deliver(on: self.link.loop, sender: sender, observer: self.observer)
        if nobody.readableBytes > 0 {
            let answered = sender.answerOffline(for: nobody)
            if answered > 0 { self.observer.answeredOffline(answered) }
        }
    }

}
