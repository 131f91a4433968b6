import ChatWire
import NIOCore

/// The read path of one connection, the server's hot path: cuts what arrives into frames,
/// asks for the rules' verdict on each, and forwards runs of chat frames as single slices.
///
/// Frames are checked in place in the received buffer with `FrameDecoder.header(of:)` (the
/// decoder's own rules) rather than by a decoder handler in front, which would cost a pipeline
/// event per frame. A run of consecutive chat frames to one target is forwarded as one slice of
/// the received bytes: no copy, no re-encoding, no per-frame allocation; once its first frame
/// has passed the full rules, the rest of the run is found by `FrameRun` in one pass over the
/// raw bytes. A frame cut by the end of a read waits in the `FrameCutter`; NUL padding between
/// frames is skipped (it ends a run: the forwarded bytes are the frames alone).
struct InboundScanner {
    /// The last target looked up, valid while presence's generation is unchanged: a run of
    /// messages to one partner costs one lookup, not one per message.
    private var cachedTarget: (name: ChatName, recipient: (any Recipient)?, generation: UInt64)?
    private var cutter = FrameCutter()
    /// Frames handled in the current read burst (for the observer).
    private(set) var burstFrames: UInt32 = 0
    /// Frames are logged one by one (at debug level): the run scanner is off then.
    private let logsFrames: Bool

    init(logsFrames: Bool) {
        self.logsFrames = logsFrames
    }

    /// Starts counting a new burst.
    mutating func burstEnded() {
        self.burstFrames = 0
    }

    /// Handles the bytes of one read: the frame the last read left unfinished, then every
    /// complete frame; an unfinished tail stays in the cutter. Returns the bytes, from the
    /// first frame on, that must wait because presence is deciding (`Action.hold`), if any.
    mutating func read<Delegate: InboundScannerDelegate>(
        _ input: inout ByteBuffer, delegate: Delegate, context: ChannelHandlerContext
    ) throws(FrameError) -> ByteBuffer? {
        if var completed = try self.cutter.completeHeld(from: &input),
            var waiting = try self.scan(&completed, delegate: delegate, context: context)
        {
            waiting.writeBuffer(&input)
            return waiting
        }
        return try self.scan(&input, delegate: delegate, context: context)
    }

    /// Handles every complete frame in `input`; hands an unfinished one to the cutter.
    private mutating func scan<Delegate: InboundScannerDelegate>(
        _ input: inout ByteBuffer, delegate: Delegate, context: ChannelHandlerContext
    ) throws(FrameError) -> ByteBuffer? {
        // `cursor` walks the frames; slices are cut from `input`, whose reader index stays at
        // the start until the end (a ByteBuffer only slices its readable bytes).
        var cursor = input
        // `destination`: the id of the run's first frame (a node of a cluster takes frames for many).
        var run: (target: any Recipient, destination: ChatName, start: Int, length: Int)?
        /// Queues the run of frames collected so far.
        func queueRun() {
            if let current = run, let bytes = input.getSlice(at: current.start, length: current.length) {
                delegate.forward(bytes, to: current.target)
            }
            run = nil
        }
        defer {
            queueRun()
            input.moveReaderIndex(to: cursor.readerIndex)
        }
        while cursor.readableBytes > 0 {
            // After a frame forwarded to `target`, the frames that follow it with the same two
            // names join the run in one pass over the bytes (`FrameRun`): the full rules below
            // gave this client and this target their verdict on the first one, and a frame from
            // an online client to another online id is always forwarded.
            if let current = run, !self.logsFrames, let me = delegate.onlineName {
                let reach = FrameRun.measure(in: cursor, from: me, to: current.destination)
                if reach.bytes > 0 {
                    run?.length += reach.bytes
                    self.burstFrames &+= UInt32(truncatingIfNeeded: reach.frames)
                    cursor.moveReaderIndex(forwardBy: reach.bytes)
                    continue
                }
            }
            // NULs between frames are padding, skipped (not a frame, so not a sign of life); a
            // frame after them does not join the run before them (a run is one contiguous slice).
            guard let header = try self.cutter.header(at: &cursor) else {
                self.cutter.hold(&cursor)
                return nil
            }
            let start = cursor.readerIndex
            if self.logsFrames { delegate.log(header) }
            let action = delegate.verdict(on: header) { header.body(in: input, at: start) }
            if case .hold = action {
                // This frame and everything after it wait until presence answers.
                var waiting = ByteBufferAllocator().buffer(capacity: cursor.readableBytes)
                waiting.writeBuffer(&cursor)
                return waiting
            }
            self.burstFrames &+= 1
            if case .forward = action, let target = self.onlineRecipient(named: header.destination, in: delegate) {
                if let current = run, current.target === target, current.start + current.length == start {
                    run?.length += header.length
                } else {
                    queueRun()
                    run = (target, header.destination, start, header.length)
                }
            } else if let wire = input.getSlice(at: start, length: header.length) {
                // Frames before this one are queued first: a Quit or an error that closes the
                // connection must not overtake the messages sent before it.
                queueRun()
                delegate.carryOut(action, frame: header, wire: wire, context: context)
            }
            cursor.moveReaderIndex(forwardBy: header.length)
        }
        return nil
    }

    /// The online recipient `name`, from the cache when presence has not changed since.
    private mutating func onlineRecipient(
        named name: ChatName, in delegate: some InboundScannerDelegate
    ) -> (any Recipient)? {
        let presence = delegate.presence
        let generation = presence.generation
        if let cached = self.cachedTarget, cached.name == name, cached.generation == generation {
            return cached.recipient
        }
        let recipient = presence.recipient(named: name)
        self.cachedTarget = (name, recipient, generation)
        return recipient
    }
}
