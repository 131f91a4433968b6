import ChatWire
import NIOCore

/// Frames for other clients (`Recipient`s), collected during one read burst and delivered at its end.
///
/// Delivery costs one write and one flush per target and one `execute` per event loop per
/// burst, instead of one of each per frame: per-frame writes through the pipeline and per-frame
/// hops between threads are most of the difference between a slow and a fast relay. The first
/// frame for a target is kept as the received slice (no copy); further frames for the same
/// target are appended to one buffer (a small memcpy beats a pipeline write per frame).
/// Frames for one target keep their order; so do bursts, since each loop runs its tasks in order.
struct OutboundBatch {
    /// The bytes waiting for one target.
    struct Delivery: Sendable {
        let target: any Recipient
        var bytes: ByteBuffer
        /// Whether `bytes` is a buffer of our own (from the second piece on) rather than the
        /// received slice, which must not be written to.
        var ownsBuffer: Bool
    }

    private var indexByTarget: [ObjectIdentifier: Int] = [:]
    private var deliveries: [Delivery] = []

    /// Whether nothing is waiting.
    var isEmpty: Bool { self.deliveries.isEmpty }

    /// Queues `frame` (complete wire bytes) for `target`.
    mutating func append(_ frame: ByteBuffer, to target: any Recipient) {
        let index: Int
        if let last = self.deliveries.indices.last, self.deliveries[last].target === target {
            index = last  // the common case: a run of frames to one target
        } else if let known = self.indexByTarget[ObjectIdentifier(target)] {
            index = known
        } else {
            self.indexByTarget[ObjectIdentifier(target)] = self.deliveries.count
            self.deliveries.append(Delivery(target: target, bytes: frame, ownsBuffer: false))
            return
        }
        if !self.deliveries[index].ownsBuffer {
            // Second piece: move from the shared slice to a buffer of our own, with room to grow.
            var own = ByteBufferAllocator().buffer(capacity: max(1024, 2 * Wire.maxFrameLength))
            own.writeImmutableBuffer(self.deliveries[index].bytes)
            self.deliveries[index].bytes = own
            self.deliveries[index].ownsBuffer = true
        }
        self.deliveries[index].bytes.writeImmutableBuffer(frame)
    }

    /// Hands every queued frame to its target's event loop, running the share of `current` in
    /// place. Frames whose target has gone (its connection closed after the lookup) are answered
    /// `Offline` to `sender`, so that no message is silently lost; `observer` is told.
    mutating func deliver(on current: any EventLoop, sender: (any Sender)?, observer: any ServerObserver) {
        defer {
            self.indexByTarget.removeAll(keepingCapacity: true)
            self.deliveries.removeAll(keepingCapacity: true)
        }
        // The common case, a client talking to one partner: one write, or one hop, no arrays.
        if self.deliveries.count == 1, let delivery = self.deliveries.first {
            let loop = delivery.target.eventLoop
            if loop === current {
                Self.write(delivery, sender: sender, observer: observer)
            } else {
                loop.execute { Self.write(delivery, sender: sender, observer: observer) }
            }
            return
        }
        var remote: [Delivery] = []
        for delivery in self.deliveries {
            if delivery.target.eventLoop === current {
                Self.write(delivery, sender: sender, observer: observer)
            } else {
                remote.append(delivery)
            }
        }
        guard !remote.isEmpty else { return }
        // Usually all remote targets share one loop (two loops on two cores); group if not.
        var byLoop: [(loop: any EventLoop, deliveries: [Delivery])] = []
        for delivery in remote {
            let loop = delivery.target.eventLoop
            if let index = byLoop.firstIndex(where: { $0.loop === loop }) {
                byLoop[index].deliveries.append(delivery)
            } else {
                byLoop.append((loop, [delivery]))
            }
        }
        for (loop, deliveries) in byLoop {
            loop.execute {
                for delivery in deliveries { Self.write(delivery, sender: sender, observer: observer) }
            }
        }
    }

    /// On the target's loop: one write, one flush; or `Offline` to the sender if the target is gone.
    private static func write(_ delivery: Delivery, sender: (any Sender)?, observer: any ServerObserver) {
        // Broadcasts to a client that left meanwhile need no answer; direct messages do.
        if !delivery.target.deliver(delivery.bytes), let sender {
            let answered = sender.answerOffline(for: delivery.bytes)
            if answered > 0 { observer.answeredOffline(answered) }
        }
    }
}
