import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import Synchronization

/// Frames from other nodes, and commands to Redis.
extension ClusterPresence {
    // MARK: Arrivals

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

    // MARK: Commands

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
