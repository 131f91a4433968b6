import ChatWire
import NIOCore

/// Another node of the cluster, as a place frames go to: every frame for any of its clients
/// (and every `ALL`) is collected here, on the backbone's loop, and published to its inbox
/// once per turn of that loop, all frames in one message. The node cuts them apart again and
/// delivers them to its clients (`ClusterPresence`).
///
/// A `Sender` too: frames that arrived from this node and found nobody are answered with
/// `Offline` frames sent back to it, which hands them to their clients.
final class ClusterNode: Recipient, Sender {
    /// The node's id.
    let id: String
    private let link: ClusterLink
    /// Frames waiting for the next publish, behind this node's own id; confined to the loop.
    private let outbox: NIOLoopBoundBox<ByteBuffer?>

    init(id: String, link: ClusterLink) {
        self.id = id
        self.link = link
        self.outbox = .makeBoxSendingValue(nil, eventLoop: link.loop)
    }

    /// The backbone's loop.
    var eventLoop: any EventLoop { self.link.loop }

    /// Queues the frames for the next publish (this turn of the loop); `false` while this node
    /// is cut off from Redis or Redis does not keep pace (the senders are answered `Offline`).
    func deliver(_ frames: ByteBuffer) -> Bool {
        guard self.link.canSend else { return false }
        if self.outbox.value != nil {
            self.outbox.value?.writeImmutableBuffer(frames)
            return true
        }
        var payload = ClusterPayload.start(origin: self.link.nodeID, capacity: max(4096, frames.readableBytes))
        payload.writeImmutableBuffer(frames)
        self.outbox.value = payload
        // Runs after the tasks already queued on the loop: every burst handed over meanwhile,
        // from any loop, rides in the same publish.
        self.link.loop.execute { self.flush() }
        return true
    }

    private func flush() {
        guard let payload = self.outbox.value else { return }
        self.outbox.value = nil
        self.link.publish(payload, to: self.id)
    }

    /// Sends `Offline <destination>` back to this node for each direct message among `frames`
    /// (they came from its clients), as frames from `-SERVER-` to their senders.
    func answerOffline(for frames: ByteBuffer) -> Int {
        var bytes = frames
        var answers = ByteBufferAllocator().buffer(capacity: 64)
        var count = 0
        while let header = try? FrameDecoder.header(of: bytes) {
            bytes.moveReaderIndex(forwardBy: header.length)
            guard header.destination != .all, header.source != .server else { continue }
            FrameHeader.write(to: header.source, from: .server, into: &answers)
            answers.writeImmutableBuffer(ServerBodies.encode(.offline(header.destination)))
            count += 1
        }
        guard count > 0 else { return 0 }
        let payload = answers
        self.eventLoop.execute { _ = self.deliver(payload) }
        return count
    }
}
