import ChatWire
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Serves one client connection on its event loop: the adapter between NIO's events and the
/// values that hold the rules. Reads go through the `InboundScanner` (frames, runs, the fast
/// path), every event through the `ConnectionStateMachine`, and the handler carries out the
/// actions it returns: replies and forwarding (`ClientOutput`), list pushes, presence, the life
/// timer, closing. Forwarded bytes are delivered, and replies flushed, once per read burst.
/// Admission (`+Admission`), lists (`+Lists`), flood control (`+FloodControl`) and the timer's
/// and scanner's callbacks (`+Callbacks`) are extensions in files of their own; their state is
/// here, internal to the module for them.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    // Stored properties in an order that packs them tightly: idle connections are most of the
    // server's memory (ConnectionHandler, 256 bytes per connection with malloc's rounding).
    let shared: ServerShared
    /// This client as presence knows it, from the moment it is asked to admit it.
    var recipient: LocalRecipient?
    /// Kept for the life timer's callback (between `handlerAdded` and `handlerRemoved`).
    var context: ChannelHandlerContext?
    /// Bytes that arrived while presence was deciding on the Connect, in order; `nil` otherwise
    /// (a box: one word per connection for a state only a presence that answers later uses).
    var held: HeldInput?
    var lifeCheck: ServerTimer?
    /// The per-client rate limit, when one is set (`--max-msgs-per-sec`, `--max-bytes-per-sec`).
    let gate: FloodGate?
    /// Bytes read in the current burst, counted only for an observer that wants traffic or a gate.
    var burstBytes: UInt32 = 0
    /// Whether this connection counts against its source address (`AddressLimiter`).
    var countedAddress = false
    /// The transport's handshake (TLS) has not completed: nothing written reaches the peer yet,
    /// so a close does not wait for its `Error` to be written.
    var handshaking: Bool
    var scanner: InboundScanner
    var output = ClientOutput()
    var machine: ConnectionStateMachine
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
        self.gate = FloodGate(shared.configuration.flood, now: now)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: NIO events

    func channelActive(context: ChannelHandlerContext) {
        if let refusal = self.opened(context: context) {
            self.perform(self.machine.mustClose(.turnedAway(refusal)), context: context)
        }
        context.fireChannelActive()
    }

    /// Counts the new connection against its address and among those waiting for `Connect`,
    /// and arms its life timer; the words of the limit that turns it away, if one does.
    func opened(context: ChannelHandlerContext) -> String? {
        if let address = context.channel.remoteAddress?.ipAddress {
            switch self.shared.addresses.opened(address, at: self.shared.clock.now) {
            case .admitted: self.countedAddress = true
            case .tooManyOpen(let limit): return "too many connections from your address (\(limit))"
            case .tooManyNew(let limit): return "too many new connections from your address (\(limit) a second)"
            }
        }
        switch self.shared.connections.opened(context.channel) {
        case .tracked:
            let timeout = self.machine.lifeTimeout(self.shared.aliveTimeout, self.shared.connectTimeout)
            self.scheduleLifeCheck(at: self.machine.lastHeard + timeout, context: context)
        case .shuttingDown:
            // Accepted as the server began to shut down: told so, like every other connection.
            self.perform(self.machine.shutdown(), context: context)
        case .full(let limit):
            return "too many connections waiting for Connect (\(limit))"
        }
        return nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        if self.shared.observesTraffic || self.gate != nil {
            self.burstBytes &+= UInt32(truncatingIfNeeded: input.readableBytes)
        }
        self.process(&input, context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let gate = self.gate {
            // A client with a rate limit: the clock is read once for both rules.
            let now = self.shared.clock.now
            self.machine.burstEnded(at: now)
            if let due = gate.burst(frames: Int(self.scanner.burstFrames), bytes: Int(self.burstBytes), at: now) {
                self.pauseReading(until: due, gate: gate, context: context)
            }
        } else {
            self.machine.burstEnded(at: self.shared.clock.now)
        }
        if self.burstBytes > 0 {
            if self.shared.observesTraffic {
                self.shared.observer.received(frames: Int(self.scanner.burstFrames), bytes: Int(self.burstBytes))
            }
            self.burstBytes = 0
        }
        self.scanner.burstEnded()
        self.flushPending(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The last read may have come with the end of the stream and no read-complete after it:
        // what the client sent before it left still goes out.
        self.deliverForwarded(on: context.eventLoop, sender: nil)
        self.lifeCheck?.cancel()
        if self.countedAddress, let address = context.channel.remoteAddress?.ipAddress {
            self.countedAddress = false
            self.shared.addresses.closed(address, at: self.shared.clock.now)
        }
        self.perform(self.machine.closed(), context: context)
        if self.recipient != nil { self.settle(context: context) }  // out of `closing`, if it was there
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
            self.offerList(event.edition, context: context)
        } else if case TLSUserEvent.handshakeCompleted = event {
            self.handshaking = false
            context.fireUserInboundEventTriggered(event)
        } else if event is ChannelShouldQuiesceEvent {
            self.perform(self.machine.shutdown(), context: context)
        } else if let request = event as? CloseRequest {
            self.perform(self.machine.mustClose(request.reason), context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("connection error", metadata: self.metadata(["error": "\(error)"]))
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
        do {
            if let waiting = try self.scanner.read(&input, delegate: self, context: context) {
                self.held = HeldInput(waiting)
                self.updateReading(context: context)
            }
        } catch {
            self.perform(self.machine.malformed(error), context: context)
        }
    }

    // MARK: Actions

    /// Carries out what the machine decided about one frame (`wire`: its bytes).
    func carryOut(
        _ action: ConnectionStateMachine.Action, frame: FrameHeader, wire: ByteBuffer, context: ChannelHandlerContext
    ) {
        switch action {
        case .forward:
            self.reply([ServerBodies.encode(.offline(frame.destination))], context: context)
            self.shared.observer.answeredOffline(1)
        case .broadcast:
            for target in self.shared.presence.broadcastTargets() where target !== self.recipient {
                self.output.forward(wire, to: target)
            }
        case .sendList:
            self.answerList(changes: self.output.receivesChanges, context: context)
        case .sendChanges:
            let first = !self.output.receivesChanges
            if first { self.shared.publisher.changeEventsStarted() }
            // A client that asks right behind Connect is not in the last list pushed yet: its
            // first list is the push that holds it (due within the usual delay).
            if first, let name = self.recipient?.name, !self.shared.publisher.latestEdition.holds(name) {
                self.output.awaitFirstEdition()
            } else {
                self.answerList(changes: true, context: context)
            }
        case .reject(let text):
            self.logger.debug("frame rejected", metadata: self.metadata(["why": "\(text)"]))
            self.reply([ServerBodies.encode(.error(text))], context: context)
        default:
            self.perform(action, context: context)
        }
    }

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

    /// The client leaves: out of presence (the new list pushed) if it was in it, out of the tracker.
    func leave(_ reason: CloseReason, context: ChannelHandlerContext) {
        self.settle(context: context)
        if self.output.receivesChanges { self.shared.publisher.changeEventsEnded() }
        if let recipient = self.recipient, self.shared.presence.remove(recipient) {
            self.logger.info("client left", metadata: self.metadata(["reason": "\(reason)"]))
            self.shared.publisher.changed()
            self.shared.observer.left(recipient.name, reason: reason)
        } else {
            self.shared.observer.closedBeforeJoining(reason: reason)
        }
    }

    /// Takes the connection out of the tracker: it is online, or closed.
    func settle(context: ChannelHandlerContext) {
        self.shared.connections.settled(context.channel)
    }

    /// Logs why, tells the client (if the reason has an `Error`) and closes.
    func close(for reason: CloseReason, context: ChannelHandlerContext) {
        if let line = reason.logLine {
            self.logger.log(level: line.level, "\(line.message)", metadata: self.metadata([line.key: "\(reason)"]))
        }
        if let text = reason.errorText {
            self.reply([ServerBodies.encode(.error(text))], context: context)
        }
        self.flushPending(context: context)
        guard reason.errorText != nil, !reason.closesAtOnce, !self.handshaking else {
            // Flushing wrote what the socket takes at once, which a small frame always fits
            // unless the client stopped reading (`CloseReason.closesAtOnce` says when not to
            // wait). Before the TLS handshake completes nothing can reach the peer: a connection
            // that never starts it is closed at the connect timeout, not left open.
            context.close(promise: nil)
            return
        }
        // An empty write completes once everything queued before it has been written.
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer())).whenComplete { _ in
            loopBoundContext.value.close(promise: nil)
        }
    }

    // MARK: Output to this client

    /// Writes server frames to this client (its id, or the reply address before it has one);
    /// flushed at the end of the read burst.
    func reply(_ bodies: [ByteBuffer], context: ChannelHandlerContext) {
        let bytes = ServerBodies.frames(to: self.machine.replyAddress, bodies, allocator: context.channel.allocator)
        context.write(self.wrapOutboundOut(bytes), promise: nil)
        self.output.repliesPending = true
    }

    /// Delivers what was forwarded, then flushes the replies.
    func flushPending(context: ChannelHandlerContext) {
        self.deliverForwarded(on: context.eventLoop, sender: self.recipient)
        if self.output.repliesPending {
            self.output.repliesPending = false
            context.flush()
        }
    }

    /// Hands the frames for other clients to their loops (a target gone meanwhile is answered
    /// `Offline` to `sender`); the batch is out of `output` while it is delivered.
    func deliverForwarded(on loop: any EventLoop, sender: LocalRecipient?) {
        guard self.output.hasForwarded else { return }
        var batch = self.output.takeForwarded()
        batch.deliver(on: loop, sender: sender, observer: self.shared.observer)
        self.output.giveBack(batch)
    }

    // MARK: Life

    /// Arms the life timer: a scheduled callback on this handler (no closure, no promise per connection).
    func scheduleLifeCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        self.lifeCheck = self.shared.clock.scheduleCallback(at: deadline, on: context.eventLoop, handler: self)
    }

    /// `extra` plus who this connection is (peer address, client id).
    func metadata(_ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata = extra
        if let peer = self.context?.remoteAddress { metadata["peer"] = "\(peer)" }
        if let name = self.recipient?.name { metadata["client"] = "\(name)" }
        return metadata
    }
}
