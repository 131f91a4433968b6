import NIOCore

/// Frames for other connections, collected during one read burst and delivered at its end.
///
/// Delivery costs one flush per target and one `execute` per event loop per burst, instead of
/// one per frame: that is most of the difference between a slow and a fast relay. Frames for
/// one target keep their order; so do bursts, since each loop runs its tasks in order.
struct OutboundBatch {
    private var indexByTarget: [ObjectIdentifier: Int] = [:]
    private var batches: [(target: ClientHandle, frames: [ByteBuffer])] = []

    /// Whether nothing is waiting.
    var isEmpty: Bool { self.batches.isEmpty }

    /// Queues `frame` (complete wire bytes) for `target`.
    mutating func append(_ frame: ByteBuffer, to target: ClientHandle) {
        let key = ObjectIdentifier(target)
        if let index = self.indexByTarget[key] {
            self.batches[index].frames.append(frame)
        } else {
            self.indexByTarget[key] = self.batches.count
            self.batches.append((target, [frame]))
        }
    }

    /// Hands every queued frame to its target's event loop, running the share of `current` in place.
    mutating func deliver(on current: any EventLoop) {
        defer {
            self.indexByTarget.removeAll(keepingCapacity: true)
            self.batches.removeAll(keepingCapacity: true)
        }
        if self.batches.count == 1, let only = self.batches.first {
            Self.send(only.frames, to: only.target, from: current)
            return
        }
        var remote: [ObjectIdentifier: (loop: any EventLoop, batches: [(ClientHandle, [ByteBuffer])])] = [:]
        for (target, frames) in self.batches {
            let loop = target.channel.eventLoop
            if loop === current {
                Self.write(frames, to: target)
            } else {
                remote[ObjectIdentifier(loop), default: (loop, [])].batches.append((target, frames))
            }
        }
        for (loop, batches) in remote.values {
            loop.execute {
                for (target, frames) in batches { Self.write(frames, to: target) }
            }
        }
    }

    private static func send(_ frames: [ByteBuffer], to target: ClientHandle, from current: any EventLoop) {
        let loop = target.channel.eventLoop
        if loop === current {
            Self.write(frames, to: target)
        } else {
            loop.execute { Self.write(frames, to: target) }
        }
    }

    /// On the target's loop: write every frame, flush once.
    private static func write(_ frames: [ByteBuffer], to target: ClientHandle) {
        for frame in frames { target.channel.write(frame, promise: nil) }
        target.channel.flush()
    }
}
