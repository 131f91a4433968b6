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
/// pipeline only when a rate is set; a reload that sets or lifts the rates adds it to open
/// connections or takes it out (`refit`).
final class ReadPacingHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer

    private var gate: FloodGate
    private let clock: any ServerClock
    private let observer: any ServerObserver
    /// A `read()` came while paused: issued when the pause ends.
    private var readPending = false
    /// The rates were lifted while the client was paused: the handler leaves when the pause ends.
    private var leaving = false
    /// Kept for the resumption timer (between `handlerAdded` and `handlerRemoved`).
    private var context: ChannelHandlerContext?

    /// A handler slowing the client to `gate`'s rate on `clock`'s time; `observer` hears of each pause.
    init(gate: FloodGate, clock: any ServerClock, observer: any ServerObserver = NoObserver()) {
        self.gate = gate
        self.clock = clock
        self.observer = observer
    }

    /// Puts `limits` in force on `channel`'s connection, on its event loop (a reload): its
    /// handler takes the new rates, or leaves if there are none; a connection without one gets
    /// one, in front of the protocol handler, if there are.
    static func refit(
        _ channel: any Channel, to limits: FloodLimits, clock: any ServerClock, observer: any ServerObserver
    ) {
        let handlers = channel.pipeline.syncOperations
        if let handler = try? handlers.handler(type: ReadPacingHandler.self) {
            handler.update(limits)
        } else if let gate = FloodGate(limits, now: clock.now),
            let core = try? handlers.handler(type: ConnectionHandler.self)
        {
            try? handlers.addHandler(
                ReadPacingHandler(gate: gate, clock: clock, observer: observer), position: .before(core))
        }
    }

    /// New rates: the buckets start full at the new sizes, a pause in progress runs its course;
    /// no rate at all, and the handler leaves (at once, or when the pause ends).
    func update(_ limits: FloodLimits) {
        guard var next = FloodGate(limits, now: self.clock.now) else {
            self.leaving = true
            if !self.gate.isPaused { self.leave() }
            return
        }
        self.leaving = false
        next.isPaused = self.gate.isPaused
        self.gate = next
        if self.gate.readsNarrowed, let context = self.context { self.narrowReads(context: context) }
    }

    /// Whether reads were narrowed (tests read it).
    var readsNarrowed: Bool { self.gate.readsNarrowed }

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
            self.narrowReads(context: context)
        }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.clock.schedule(at: due, on: context.eventLoop) { handler.value.resume() }
    }

    /// Reads of about 20 ms of the client's allowance, one per wake-up.
    private func narrowReads(context: ChannelHandlerContext) {
        context.channel.setOption(
            ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: self.gate.readChunk)
        ).whenFailure { _ in }
        context.channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1).whenFailure { _ in }
    }

    /// The client's buckets are out of debt: the `read()` held back goes on.
    private func resume() {
        self.gate.isPaused = false
        guard let context = self.context else { return }
        if self.leaving {
            self.leave()
        } else if self.readPending {
            self.readPending = false
            context.read()
        }
    }

    /// The rates were lifted: reads go back to the server's defaults, a `read()` held back goes
    /// on, and the handler leaves the pipeline.
    private func leave() {
        guard let context = self.context else { return }
        if self.gate.readsNarrowed {
            context.channel.setOption(ChannelOptions.recvAllocator, value: ChatServer.receiveAllocator)
                .whenFailure { _ in }
            context.channel.setOption(ChannelOptions.maxMessagesPerRead, value: ChatServer.messagesPerRead)
                .whenFailure { _ in }
        }
        let pending = self.readPending
        self.readPending = false
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        if pending { context.channel.read() }
    }
}
