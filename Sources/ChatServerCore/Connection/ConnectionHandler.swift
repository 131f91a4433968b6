import ChatWire
import Logging
import NIOCore
import NIOTLS

/// The protocol adapter of one connection, last in its pipeline (`ConnectionPipeline`): NIO's
/// events in, the `ConnectionStateMachine`'s actions out. Reads go through the `InboundScanner`
/// (frames, runs, the fast path); replies, forwarding and lists through `ClientOutput`;
/// admission through the `AdmissionChain`. Forwarded bytes are delivered, and replies flushed,
/// once per read burst.
///
/// Policies that are off are not here: per-address limits, read pacing and the client
/// certificate are handlers in front of this one, present only when their option is on.
/// Admission (`+Admission`), lists (`+Lists`) and the timer's and scanner's callbacks
/// (`+Callbacks`) are extensions in files of their own; their state is here.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    // Stored properties in an order that packs them tightly: idle connections are most of the
    // server's memory. Swift lays a field out after the previous one's size, not its stride, so
    // the small fields sit in the tail padding of the structs (the timer's 41 bytes, the
    // output's 68, the machine's 35): 288 bytes, a 304-byte malloc chunk per connection
    // (`ConnectionHandlerLayoutTests` checks it).
    let shared: ServerShared
    /// This client as presence knows it, from the moment it is asked to admit it.
    var recipient: LocalRecipient?
    /// Kept for the timers' callbacks (between `handlerAdded` and `handlerRemoved`).
    var context: ChannelHandlerContext?
    /// Bytes that arrived while presence was deciding on the Connect, in order; `nil` otherwise
    /// (a box: one word per connection for a state only a presence that answers later uses).
    var held: HeldInput?
    /// What the client's TLS certificate proved (`ClientCertificateHandler`), for admission.
    var identity: ClientIdentity?
    var lifeCheck: ServerTimer?
    /// The transport's set-up (TLS's handshake, a WebSocket upgrade) has not completed: nothing
    /// written reaches the peer yet, so a close does not wait for its `Error` to be written.
    var handshaking: Bool
    /// Bytes read in the current burst, counted only when someone wants them (`countsBursts`).
    var burstBytes: UInt32 = 0
    var scanner: InboundScanner
    var output = ClientOutput()
    /// Frames of the current burst that were not forwarded to an id (control frames, `ALL`,
    /// answers): the rest were (`ReadBurst.forwarded`). Counted on the control path only.
    var burstCarried: UInt32 = 0
    var machine: ConnectionStateMachine
    /// Messages to `ALL` in the current burst.
    var burstBroadcasts: UInt32 = 0
    /// The server's logger; per-connection metadata is built at each (rare) log call instead of
    /// being stored, which saves memory per idle client.
    var logger: Logger { self.shared.logger }

    /// A handler for a connection opened at `now`; `handshaking` when its transport completes a
    /// handshake before anything can be written to the peer (TLS).
    init(shared: ServerShared, now: NIODeadline, handshaking: Bool = false) {
        self.shared = shared
        self.handshaking = handshaking
        self.scanner = InboundScanner(logsFrames: shared.logger.logLevel <= .debug)
        self.machine = ConnectionStateMachine(openedAt: now)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: NIO events

    func channelActive(context: ChannelHandlerContext) {
        self.shared.observer.connectionOpened()
        // A connection a handler in front turned away (`CloseRequest`) is closing already.
        if case .awaitingConnect = self.machine.state {
            switch self.shared.connections.opened(context.channel) {
            case .tracked:
                let timeout = self.machine.lifeTimeout(self.shared.aliveTimeout, self.shared.connectTimeout)
                self.scheduleLifeCheck(at: self.machine.lastHeard + timeout, context: context)
            case .shuttingDown:
                // Accepted as the server began to shut down: told so, like every other connection.
                self.perform(self.machine.shutdown(), context: context)
            case .full(let limit):
                self.perform(self.machine.mustClose(.turnedAway(.tooManyWaiting(limit))), context: context)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        if self.shared.countsBursts {
            self.burstBytes &+= UInt32(truncatingIfNeeded: input.readableBytes)
        }
        self.process(&input, context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.machine.burstEnded(at: self.shared.clock.now)
        // Only when someone takes the figures (the observer, pacing): a default server skips it.
        // Frames handled outside a read (held during an admission) are reported with the next one.
        if self.shared.countsBursts, self.burstBytes > 0 || self.scanner.burstFrames > 0 {
            let frames = Int(self.scanner.burstFrames)
            let burst = ReadBurst(
                frames: frames, bytes: Int(self.burstBytes), forwarded: max(0, frames - Int(self.burstCarried)),
                broadcasts: Int(self.burstBroadcasts))
            self.burstBytes = 0
            if self.shared.observesTraffic { self.shared.observer.received(burst) }
            // To the `ReadPacingHandler` in front, which decides whether to read on.
            if self.shared.pacesReads { context.triggerUserOutboundEvent(burst, promise: nil) }
        }
        self.burstCarried = 0
        self.burstBroadcasts = 0
        self.scanner.burstEnded()
        self.flushPending(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The last read may have come with the end of the stream and no read-complete after it:
        // what the client sent before it left still goes out.
        self.deliverForwarded(on: context.eventLoop, sender: nil)
        self.lifeCheck?.cancel()
        self.perform(self.machine.closed(), context: context)
        if self.recipient != nil { self.settle(context: context) }  // out of `closing`, if it was there
        self.shared.observer.connectionClosed()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The channel stops being writable when more than --max-pending-bytes wait for this
        // client: it does not read fast enough. Cut it so that nobody else waits for it.
        if !context.channel.isWritable {
            self.perform(
                self.machine.writabilityLost(limit: self.shared.configuration.maxPendingBytes), context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? OnlineListEvent {
            self.offerList(event.edition, drain: event.drain, context: context)
        } else if let request = event as? CloseRequest {
            self.perform(self.machine.mustClose(request.reason), context: context)
        } else if event is ChannelShouldQuiesceEvent {
            self.perform(self.machine.shutdown(), context: context)
        } else if let identity = event as? ClientIdentity {
            self.identity = identity
        } else if event is TransportReady {
            self.handshaking = false
        } else {
            if case TLSUserEvent.handshakeCompleted = event { self.handshaking = false }
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("connection error", metadata: self.metadata(["error": "\(error)"]))
        if self.handshaking { self.shared.observer.handshakeFailed() }
        self.perform(self.machine.failed(.failure(error)), context: context)
        context.close(promise: nil)
    }

    // MARK: Frames

    /// Handles the bytes of one read (all of them wait while presence decides on the Connect).
    func process(_ input: inout ByteBuffer, context: ChannelHandlerContext) {
        if let held = self.held {
            held.bytes.writeBuffer(&input)
            return
        }
        // A cluster node past its lease forwards nothing: its ids may be another node's by now,
        // though the timer that closes its clients has not fired (a paused process; `LeaseFence`).
        if let fence = self.shared.fence, self.recipient != nil, !fence.holds(at: self.shared.clock.now) {
            self.perform(self.machine.mustClose(.clusterUnavailable), context: context)
            return
        }
        do {
            if let waiting = try self.scanner.read(&input, delegate: self, context: context) {
                // No more reads until presence answers (`admissionAnswered` reads again).
                self.held = HeldInput(waiting)
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            }
        } catch {
            self.perform(self.machine.malformed(error), context: context)
        }
    }

    /// Carries out what the machine decided about one frame (`wire`: its bytes).
    func carryOut(
        _ action: ConnectionStateMachine.Action, frame: FrameHeader, wire: ByteBuffer, context: ChannelHandlerContext
    ) {
        self.burstCarried &+= 1
        switch action {
        case .forward:
            self.reply([ServerBodies.encode(.offline(frame.destination))], context: context)
            self.shared.observer.answeredOffline(1)
        case .broadcast:
            self.burstBroadcasts &+= 1
            for target in self.shared.presence.broadcastTargets() where target !== self.recipient {
                self.output.forward(wire, to: target)
            }
        case .sendList:
            self.carryOut(
                self.output.answerList(from: self.shared.publisher, at: self.shared.clock.now), context: context)
        case .sendChanges:
            guard let name = self.recipient?.name else { return }
            let answer = self.output.startChanges(from: self.shared.publisher, for: name, at: self.shared.clock.now)
            self.carryOut(answer, context: context)
        case .reject(let text):
            self.logger.debug("frame rejected", metadata: self.metadata(["why": "\(text)"]))
            self.shared.observer.rejectedFrame()
            self.reply([ServerBodies.encode(.error(text))], context: context)
        default:
            self.perform(action, context: context)
        }
    }

    // MARK: Actions

    /// Carries out what the machine decided.
    func perform(_ action: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none, .hold, .forward, .broadcast, .sendList, .sendChanges, .reject:
            break  // `.hold` is handled by the scanner, the frame actions by `carryOut`
        case .admit(let id, let password):
            self.admit(id, password: password, context: context)
        case .welcome(let id, let intervalOnly):
            self.settle(context: context)
            self.logger.info("client joined", metadata: self.metadata())
            self.reply([intervalOnly ? self.shared.intervalBody : self.shared.connectedBody], context: context)
            // A bare Connect comes from a client of the assignment alone: it will not ask.
            if !intervalOnly { self.holdFirstList(context: context) }
            self.shared.publisher.changed()
            self.shared.observer.joined(id)
        case .release:
            self.release()
        case .close(let reason):
            self.close(for: reason, context: context)
        case .leaveAndClose(let reason):
            self.leave(reason, context: context)
            self.shared.connections.closing(context.channel)
            self.close(for: reason, context: context)
        case .closeNow:
            context.close(promise: nil)
        case .checkLifeAgain(let deadline):
            self.scheduleLifeCheck(at: deadline, context: context)
        case .leave(let reason):
            self.leave(reason, context: context)
        }
    }
}
