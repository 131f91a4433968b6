import ChatWire
import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Serves one client connection on its event loop: cuts frames, applies the protocol rules
/// (`ConnectionStateMachine`), forwards chat messages, answers control messages, watches the
/// client's life and its pending output.
///
/// The hot path: frames are checked in place in the received buffer with
/// `FrameDecoder.header(of:)` (the decoder's own rules) rather than by a decoder handler in
/// front, which would cost a pipeline event per frame. A run of consecutive chat frames to one
/// target is forwarded as one slice of the received bytes: no copy, no re-encoding, no per-frame
/// allocation; once its first frame has passed the full rules, the rest of the run is found by
/// `FrameRun` in one pass over the raw bytes. Forwarded bytes are queued in an `OutboundBatch` and delivered at the end of the
/// read burst; replies to this client are flushed once per burst. Everything that is not a chat
/// frame from an online client takes the slow path through a decoded `Frame`.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let shared: ServerShared
    /// The server's logger; per-connection metadata is built at each (rare) log call instead of
    /// being stored, which saves memory per idle client.
    private var logger: Logger { self.shared.logger }
    /// The start of a frame cut by the end of a read (under 256 bytes, copied out of the read buffer).
    private var partial: ByteBuffer?
    private var machine = ConnectionStateMachine()
    private var client: ClientHandle?
    private var outbound = OutboundBatch()
    private var lists = ListWriter()
    private var repliesPending = false
    /// A well-formed frame arrived in the current read burst (any frame counts as a sign of life).
    private var heardInBurst = false
    private var lastHeard = NIODeadline.now()
    private var lifeCheck: NIOScheduledCallback?
    /// Kept for the life timer's callback (between `handlerAdded` and `handlerRemoved`).
    private var context: ChannelHandlerContext?
    /// Why the connection is closing, for the log line when the client leaves.
    private var closeReason: String?
    /// Frames are logged only at debug level; checked once, not per frame.
    private let logsFrames: Bool
    /// The last target looked up, valid while the registry's generation is unchanged: a run of
    /// messages to one partner costs one registry lookup, not one per message.
    private var cachedTarget: (name: ChatName, client: ClientHandle?, generation: UInt64)?
    /// Whom to address `Error` frames to before the connection has an id: the source of the last
    /// well-formed frame, or `-SERVER-` before any.
    private var replyAddress = ChatName.server

    init(shared: ServerShared) {
        self.shared = shared
        self.logsFrames = shared.logger.logLevel <= .debug
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// `extra` plus who this connection is (peer address, client id).
    private func metadata(_ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata = extra
        if let peer = self.context?.remoteAddress { metadata["peer"] = "\(peer)" }
        if let name = self.client?.name ?? self.machine.name { metadata["client"] = "\(name)" }
        return metadata
    }

    func channelActive(context: ChannelHandlerContext) {
        self.lastHeard = .now()
        self.scheduleLifeCheck(context: context, at: self.lastHeard + self.shared.aliveTimeout)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        do {
            if self.partial != nil {
                try self.completePartial(from: &input, context: context)
            }
            try self.scan(&input, context: context)
        } catch {
            self.malformed(error, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.heardInBurst {
            self.heardInBurst = false
            self.lastHeard = .now()
        }
        if !self.outbound.isEmpty { self.outbound.deliver(on: context.eventLoop, sender: self.client) }
        if self.repliesPending {
            self.repliesPending = false
            context.flush()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The last read may have come with the end of the stream and no read-complete after it:
        // what the client sent before it left still goes out.
        if !self.outbound.isEmpty { self.outbound.deliver(on: context.eventLoop, sender: nil) }
        self.lifeCheck?.cancel()
        self.machine.closing()
        if let client = self.client, self.shared.registry.remove(client) {
            self.logger.info(
                "client left", metadata: self.metadata(["reason": "\(self.closeReason ?? "connection closed")"]))
            self.shared.publisher.changed()
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The channel stops being writable when more than --max-pending-bytes wait for this
        // client: it does not read fast enough. Cut it so that nobody else waits for it.
        if !context.channel.isWritable, self.client != nil, self.closeReason == nil {
            self.closeReason = "slow consumer: over \(self.shared.configuration.maxPendingBytes) bytes pending"
            self.logger.warning(
                "cutting off a slow consumer", metadata: self.metadata(["reason": "\(self.closeReason ?? "")"]))
            self.machine.closing()
            context.close(promise: nil)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? OnlineListEvent {
            self.offerList(event.parts, context: context)
            return
        }
        if event is ServerShutdownEvent {
            self.closeReason = "server shutting down"
            self.machine.closing()
            // Flushing writes what the socket takes at once, which a small frame always fits
            // unless the client stopped reading; closing right after keeps shutdown from waiting on it.
            self.reply([ServerBodies.encode(.error("server shutting down"))], context: context)
            self.flushPending(context: context)
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("connection error", metadata: self.metadata(["error": "\(error)"]))
        if self.closeReason == nil { self.closeReason = Self.describe(error) }
        context.close(promise: nil)
    }

    // MARK: Frames

    /// Handles every complete frame in `input`; keeps an unfinished one in `partial`.
    private func scan(_ input: inout ByteBuffer, context: ChannelHandlerContext) throws(FrameError) {
        // `cursor` walks the frames; slices are cut from `input`, whose reader index stays at
        // the start until the end (a ByteBuffer only slices its readable bytes).
        var cursor = input
        var run: (target: ClientHandle, start: Int, length: Int)?
        /// Queues the run of frames collected so far.
        func queueRun() {
            if let current = run, let bytes = input.getSlice(at: current.start, length: current.length) {
                self.outbound.append(bytes, to: current.target)
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
            // an online client to another online id is always forwarded. Not while frames are
            // logged one by one.
            if let current = run, let me = self.client, !self.logsFrames {
                let reach = FrameRun.length(in: cursor, from: me.name, to: current.target.name)
                if reach > 0 {
                    run?.length += reach
                    cursor.moveReaderIndex(forwardBy: reach)
                    continue
                }
            }
            guard let header = try FrameDecoder.header(of: cursor) else {
                var partial = context.channel.allocator.buffer(capacity: Wire.maxFrameLength)
                partial.writeBuffer(&cursor)
                self.partial = partial
                return
            }
            let start = cursor.readerIndex
            self.heardInBurst = true
            if self.logsFrames { self.logFrame(header) }
            let action = self.machine.received(header) {
                input.getSlice(at: start + Wire.headerLength, length: header.bodyLength) ?? ByteBuffer()
            }
            if case .forward = action, let target = self.onlineClient(named: header.destination) {
                if let current = run, current.target === target, current.start + current.length == start {
                    run?.length += header.length
                } else {
                    queueRun()
                    run = (target, start, header.length)
                }
            } else if let wire = input.getSlice(at: start, length: header.length) {
                // Frames before this one are queued first: a Quit or an error that closes the
                // connection must not overtake the messages sent before it.
                queueRun()
                self.perform(action, header: header, wire: wire, context: context)
            }
            cursor.moveReaderIndex(forwardBy: header.length)
        }
    }

    /// Adds the first bytes of `input` to the unfinished frame; once its NUL arrived, handles it.
    private func completePartial(from input: inout ByteBuffer, context: ChannelHandlerContext) throws(FrameError) {
        guard var partial = self.partial else { return }
        self.partial = nil
        let room = Wire.maxFrameLength - partial.readableBytes
        let window = min(room, input.readableBytes)
        let nul = input.withUnsafeReadableBytes { bytes in
            FrameDecoder.firstZero(in: UnsafeRawBufferPointer(rebasing: bytes[..<window]))
        }
        if let nul, var rest = input.readSlice(length: nul + 1) {
            partial.writeBuffer(&rest)
            try self.scan(&partial, context: context)
        } else if var rest = input.readSlice(length: window) {
            partial.writeBuffer(&rest)
            if partial.readableBytes >= Wire.maxFrameLength { throw .missingTerminator }
            self.partial = partial
        }
    }

    /// Everything but a run of chat frames to an online target: control messages, broadcasts,
    /// messages to absent ids, errors.
    private func perform(
        _ action: ConnectionStateMachine.Action, header: FrameHeader, wire: ByteBuffer, context: ChannelHandlerContext
    ) {
        if self.client == nil { self.replyAddress = header.source }
        switch action {
        case .admit(let id):
            self.admit(id, context: context)
        case .forward:
            self.reply([ServerBodies.encode(.offline(header.destination))], context: context)
        case .broadcast:
            for target in self.shared.registry.allClients() where target !== self.client {
                self.outbound.append(wire, to: target)
            }
        case .sendList:
            self.offerList(ServerBodies.list(self.shared.registry.names()), context: context)
        case .keepAlive, .ignore:
            break
        case .quit:
            self.closeReason = "quit"
            self.flushPending(context: context)
            context.close(promise: nil)
        case .reject(let text):
            self.logger.debug("frame rejected", metadata: self.metadata(["why": "\(text)"]))
            self.reply([ServerBodies.encode(.error(text))], context: context)
        case .rejectAndClose(let text):
            self.logger.info("connection refused", metadata: self.metadata(["why": "\(text)"]))
            self.closeReason = text
            self.sendErrorAndClose(text, context: context)
        }
    }

    private func logFrame(_ header: FrameHeader) {
        self.logger.debug(
            "frame",
            metadata: ["to": "\(header.destination)", "from": "\(header.source)", "bytes": "\(header.bodyLength)"])
    }

    /// The online client `name`, from the cache when the registry has not changed since.
    private func onlineClient(named name: ChatName) -> ClientHandle? {
        let generation = self.shared.registry.generation
        if let cached = self.cachedTarget, cached.name == name, cached.generation == generation {
            return cached.client
        }
        let client = self.shared.registry.client(named: name)
        self.cachedTarget = (name, client, generation)
        return client
    }

    private func admit(_ id: ChatName, context: ChannelHandlerContext) {
        let client = ClientHandle(name: id, channel: context.channel)
        switch self.shared.registry.admit(client) {
        case .admitted:
            self.machine.admitted()
            self.client = client
            self.replyAddress = id
            self.logger.info("client joined", metadata: self.metadata())
            self.reply([self.shared.connectedBody], context: context)
            self.shared.publisher.changed()
        case .nameTaken:
            self.handle(refusal: "the id '\(id)' is already online", context: context)
        case .full:
            self.handle(refusal: "the server is full (\(self.shared.registry.capacity) clients)", context: context)
        }
    }

    private func handle(refusal: String, context: ChannelHandlerContext) {
        _ = self.machine.refused(refusal)
        self.logger.info("connect refused", metadata: self.metadata(["why": "\(refusal)"]))
        self.closeReason = refusal
        self.sendErrorAndClose(refusal, context: context)
    }

    private func malformed(_ error: any Error, context: ChannelHandlerContext) {
        guard self.closeReason == nil else { return }
        self.logger.info("malformed input, closing", metadata: self.metadata(["error": "\(error)"]))
        self.closeReason = "\(error)"
        self.machine.closing()
        self.sendErrorAndClose("\(error)", context: context)
    }

    // MARK: Output to this client

    /// Queues server frames for this client; flushed at the end of the read burst.
    private func reply(_ bodies: [ByteBuffer], context: ChannelHandlerContext) {
        let address = self.client?.name ?? self.replyAddress
        context.write(
            self.wrapOutboundOut(ServerBodies.frames(to: address, bodies, allocator: context.channel.allocator)),
            promise: nil)
        self.repliesPending = true
    }

    /// Hands a list to the `ListWriter`; writes its first chunk if none is in flight.
    private func offerList(_ parts: [ByteBuffer], context: ChannelHandlerContext) {
        guard self.client != nil, let chunk = self.lists.offer(parts) else { return }
        self.writeList(chunk, context: context)
    }

    /// Writes one chunk of list parts as one buffer (a few KB: one write instead of two per
    /// part); when it reached the socket, the next one.
    private func writeList(_ chunk: ArraySlice<ByteBuffer>, context: ChannelHandlerContext) {
        guard let name = self.client?.name else { return }
        let bytes = ServerBodies.frames(to: name, chunk, allocator: context.channel.allocator)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(bytes), promise: written)
        written.futureResult.assumeIsolated().whenSuccess {
            if let next = self.lists.written() { self.writeList(next, context: context) }
        }
    }

    private func flushPending(context: ChannelHandlerContext) {
        if !self.outbound.isEmpty { self.outbound.deliver(on: context.eventLoop, sender: self.client) }
        self.repliesPending = false
        context.flush()
    }

    /// Sends `Error <text>`, then closes once it is written (or failed to be).
    private func sendErrorAndClose(_ text: String, context: ChannelHandlerContext) {
        self.reply([ServerBodies.encode(.error(text))], context: context)
        self.flushPending(context: context)
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        // An empty write completes once everything queued before it has been written.
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer())).whenComplete { _ in
            loopBoundContext.value.close(promise: nil)
        }
    }

    // MARK: Life

    /// Arms the life timer: a scheduled callback on this handler (no closure, no promise per connection).
    private func scheduleLifeCheck(context: ChannelHandlerContext, at deadline: NIODeadline) {
        self.lifeCheck = try? context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self)
    }

    /// Retires the client if nothing was heard for the alive timeout; otherwise looks again when
    /// the timeout would next run out. One timer per connection, re-armed only when it fires.
    private func checkLife(context: ChannelHandlerContext) {
        let due = self.lastHeard + self.shared.aliveTimeout
        guard NIODeadline.now() >= due else {
            self.scheduleLifeCheck(context: context, at: due)
            return
        }
        // A connection already closing (say, an Error that a non-reading peer never takes) is
        // closed here all the same: nothing stays open past the timeout.
        if self.closeReason == nil {
            self.closeReason = "retired: silent for \(self.shared.configuration.effectiveAliveTimeout)"
            self.logger.info(
                "retiring a silent client", metadata: self.metadata(["reason": "\(self.closeReason ?? "")"]))
        }
        self.machine.closing()
        context.close(promise: nil)
    }
}

extension ConnectionHandler {
    /// A socket error in a few words, e.g. `connection reset by peer`.
    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        return "\(error)"
    }
}

extension ConnectionHandler: NIOScheduledCallbackHandler {
    /// The life timer fired.
    func handleScheduledCallback(eventLoop: some EventLoop) {
        guard let context = self.context else { return }
        self.checkLife(context: context)
    }
}
