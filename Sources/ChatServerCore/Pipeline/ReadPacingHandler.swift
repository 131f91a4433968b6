import NIOCore

/// Flood control for one client (`--max-msgs-per-sec`, `--max-bytes-per-sec`): a client over
/// its rate is slowed, not cut off. After each read burst (`ReadBurst`, from the protocol
/// handler) the `FloodGate` says until when to stop reading; the handler holds back the
/// channel's `read()` until then, so TCP pushes back on the client and nothing it sent is
/// dropped. At the first pause, reads are narrowed to about 20 ms of its allowance at a time,
/// so that each resumption costs the loop little (read whole, a flooder's backlog is thousands
/// of frames in one burst).
///
/// Outbound only: it sees `read()` and the bursts, no inbound event passes through it. In the
/// pipeline only when a rate is set.
final class ReadPacingHandler: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer

    private let gate: FloodGate
    private let clock: any ServerClock
    private let observer: any ServerObserver
    /// A `read()` came while paused: issued when the pause ends.
    private var readPending = false
    /// Kept for the resumption timer (between `handlerAdded` and `handlerRemoved`).
    private var context: ChannelHandlerContext?

    /// A handler slowing the client to `gate`'s rate on `clock`'s time; `observer` hears of each pause.
    init(gate: FloodGate, clock: any ServerClock, observer: any ServerObserver = NoObserver()) {
        self.gate = gate
        self.clock = clock
        self.observer = observer
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func read(context: ChannelHandlerContext) {
        if self.gate.isPaused {
            self.readPending = true
        } else {
            context.read()
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let burst = event as? ReadBurst else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed()
        if let due = self.gate.burst(frames: burst.frames, bytes: burst.bytes, at: self.clock.now) {
            self.pause(until: due, context: context)
        }
    }

    /// The client sent more than its rate: no `read()` reaches the socket until `due`.
    private func pause(until due: NIODeadline, context: ChannelHandlerContext) {
        guard !self.gate.isPaused else { return }
        self.gate.isPaused = true
        self.observer.throttled()
        if !self.gate.readsNarrowed {
            self.gate.readsNarrowed = true
            context.channel.setOption(
                ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: self.gate.readChunk)
            ).whenFailure { _ in }
            context.channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1).whenFailure { _ in }
        }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.clock.schedule(at: due, on: context.eventLoop) { handler.value.resume() }
    }

    /// The client's buckets are out of debt: the `read()` held back goes on.
    private func resume() {
        self.gate.isPaused = false
        guard self.readPending, let context = self.context else { return }
        self.readPending = false
        context.read()
    }
}
