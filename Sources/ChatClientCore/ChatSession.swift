public import ChatWire
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One client's connection to the server: connects and registers, keeps the heartbeat going,
/// and delivers what the server says as `events`.
public final class ChatSession: Sendable {
    /// The client's id.
    public let id: ChatName
    /// How often `Alive` is sent: the interval the server announced, or
    /// `ClientProtocol.defaultInterval` when it announced none.
    public let heartbeatInterval: Duration
    /// The interval the server announced in its answer to Connect; `nil` when it gave none.
    public let announcedInterval: Duration?
    /// Everything the server says, in order; ends with `.disconnected`.
    public let events: AsyncStream<ChatEvent>
    private let channel: any Channel
    private let handler: NIOLoopBound<ClientSessionHandler>

    private init(
        id: ChatName, heartbeatInterval: Duration, announcedInterval: Duration?, events: AsyncStream<ChatEvent>,
        channel: any Channel, handler: NIOLoopBound<ClientSessionHandler>
    ) {
        self.id = id
        self.heartbeatInterval = heartbeatInterval
        self.announcedInterval = announcedInterval
        self.events = events
        self.channel = channel
        self.handler = handler
    }

    /// Connects to `host:port` (waiting up to `connectTimeout`, `timeout` unless given), sends
    /// `Connect <id>` and waits up to `timeout` for the answer (`Connected`, or what other
    /// servers answer instead: docs/PROTOCOL.md, "Compatibility"). With `changeEvents`, once the
    /// answer is here, it asks for the list once and only its changes after (`List changes`, a
    /// write of its own); a server that does not know it keeps sending full lists, which work
    /// the same, and one that closes the connection for it ends the session with
    /// `DisconnectReason.closedAfterChangeRequest`. Over TLS, `Connect` goes out only once the
    /// handshake and the server's name were checked. `changesAnswerTime`: how long an answer
    /// to `List changes` is waited for (`ClientProtocol.changesAnswerTime`).
    ///
    /// - Throws: `ClientError` saying what went wrong.
    public static func connect(
        id: ChatName,
        host: String,
        port: Int,
        timeout: Duration = .seconds(5),
        connectTimeout: Duration? = nil,
        changeEvents: Bool = true,
        password: [UInt8]? = nil,
        tls: ClientTLS? = nil,
        changesAnswerTime: Duration = ClientProtocol.changesAnswerTime,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(ClientError) -> ChatSession {
        if let password, let problem = ClientProtocol.passwordProblem(password, for: id) { throw .badPassword(problem) }
        let tlsContext = try tls?.makeContext()
        let (events, continuation) = AsyncStream.makeStream(of: ChatEvent.self, bufferingPolicy: .unbounded)
        let loop = group.next()
        let connected = loop.makePromise(of: (announced: Duration?, heartbeat: Duration).self)
        // Kept from the start: a server may close right after its answer (one that does not know
        // `List changes` closes on it), and a closed channel's pipeline no longer holds the handler.
        let made = NIOLockedValueBox<NIOLoopBound<ClientSessionHandler>?>(nil)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(TimeAmount(connectTimeout ?? timeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls, let tlsContext { try tls.configure(channel, context: tlsContext, host: host) }
                        let handler = ClientSessionHandler(
                            id: id, connected: connected, events: continuation, changeEvents: changeEvents,
                            password: password, opensOnHandshake: tls != nil, changesAnswerTime: changesAnswerTime)
                        try channel.pipeline.syncOperations.addHandler(handler)
                        made.withLockedValue { $0 = NIOLoopBound(handler, eventLoop: channel.eventLoop) }
                    }
                }
                .connect(host: host, port: port)
                .get()
        } catch {
            connected.fail(error)
            throw .cannotConnect(Self.describe(error))
        }
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) { connected.fail(ClientError.noAnswer) }
        let answer: (announced: Duration?, heartbeat: Duration)
        do {
            answer = try await connected.futureResult.get()
            timer.cancel()
        } catch {
            timer.cancel()
            try? await channel.close()
            throw (error as? ClientError) ?? .cannotConnect(Self.describe(error))
        }
        guard let handler = made.withLockedValue({ $0 }) else { throw .notConnected }
        return ChatSession(
            id: id, heartbeatInterval: answer.heartbeat, announcedInterval: answer.announced, events: events,
            channel: channel, handler: handler)
    }

    /// Sends `text` to `target` (a client id or `ALL`), split into frames of at most 239 bytes
    /// at character boundaries, in order. Returns once the frames are handed to the socket.
    public func send(_ text: String, to target: ChatName) async throws(ClientError) {
        var frames: [ByteBuffer] = []
        for piece in TextSplitter.split(text) {
            guard let frame = try? Frame(destination: target, source: self.id, text: piece) else { continue }
            frames.append(frame.wire)
        }
        try await self.write(frames)
    }

    /// Asks the server for the list; it arrives as a `.list` event.
    public func requestList() async throws(ClientError) {
        try await self.write([ClientControl.list.frame(from: self.id).wire])
    }

    /// Sends `Quit <id>`, then waits (up to `timeout`) for the server to close the connection, so
    /// that answers to earlier requests still arrive as events; then closes it from this side.
    public func quit(timeout: Duration = .seconds(2)) async {
        await self.markClosingByUs()
        try? await self.write([ClientControl.quit(self.id).frame(from: self.id).wire])
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { channel.close(promise: nil) }
        try? await channel.closeFuture.get()
        timer.cancel()
    }

    /// Closes the connection without `Quit`.
    public func close() async {
        await self.markClosingByUs()
        try? await self.channel.close()
    }

    private func markClosingByUs() async {
        let handler = self.handler
        try? await self.channel.eventLoop.submit { handler.value.closingByUs() }.get()
    }

    private func write(_ frames: [ByteBuffer]) async throws(ClientError) {
        guard !frames.isEmpty else { return }
        do {
            for frame in frames.dropLast() { self.channel.write(frame, promise: nil) }
            if let last = frames.last { try await self.channel.writeAndFlush(last) }
        } catch {
            throw .notConnected
        }
    }

    /// A short reason for a failed connection, e.g. `connection refused`.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? ClientError { return error.description }
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
            return self.describe(first.error)
        }
        if let error = error as? NIOConnectionError, error.dnsAAAAError != nil || error.dnsAError != nil {
            return "cannot resolve \(error.host)"
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if error is ChannelError, case .connectTimeout = error as? ChannelError { return "connection timed out" }
        return "\(error)"
    }
}
