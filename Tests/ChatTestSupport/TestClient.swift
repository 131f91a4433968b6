import ChatServerCore
public import ChatWire
public import ChatWireTestSupport
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

/// A raw protocol client for tests: sends frames or bytes, collects decoded frames, and waits
/// for them with a timeout.
public final class TestClient: Sendable {
    /// The client's connection.
    public let channel: any Channel
    private let inbox: Inbox

    /// Frames received, whether the server closed the connection, and the one task waiting for
    /// a frame, woken when it arrives (no polling: a thousand waiting clients cost nothing).
    final class Inbox: ChannelInboundHandler, Sendable {
        typealias InboundIn = Frame

        struct State {
            var frames: [Frame] = []
            var closed = false
            var waiter: (id: Int, continuation: CheckedContinuation<Frame, any Error>)?
            var nextWaiter = 0
        }

        let state = NIOLockedValueBox(State())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = self.unwrapInboundIn(data)
            self.state.withLockedValue { state in
                if let waiter = state.waiter {
                    state.waiter = nil
                    waiter.continuation.resume(returning: frame)
                } else {
                    state.frames.append(frame)
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.state.withLockedValue { state in
                state.closed = true
                if let waiter = state.waiter {
                    state.waiter = nil
                    waiter.continuation.resume(throwing: TestFailure("the connection closed"))
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }

        /// The next frame, or an error after `timeout` or when the connection closes.
        public func next(timeout: Duration, on loop: any EventLoop) async throws -> Frame {
            try await withCheckedThrowingContinuation { continuation in
                let id: Int? = self.state.withLockedValue { state in
                    if !state.frames.isEmpty {
                        continuation.resume(returning: state.frames.removeFirst())
                        return nil
                    }
                    if state.closed {
                        continuation.resume(throwing: TestFailure("the connection closed"))
                        return nil
                    }
                    state.nextWaiter += 1
                    state.waiter = (state.nextWaiter, continuation)
                    return state.nextWaiter
                }
                guard let id else { return }
                loop.scheduleTask(in: TimeAmount(timeout)) {
                    self.state.withLockedValue { state in
                        guard let waiter = state.waiter, waiter.id == id else { return }
                        state.waiter = nil
                        waiter.continuation.resume(throwing: TestFailure("no frame within \(timeout)"))
                    }
                }
            }
        }
    }

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Opens a TCP connection to the server on `port`; `transport` adds the handlers of another
    /// transport (TLS) in front of the frames.
    public static func connect(
        port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        transport: (@Sendable (any Channel) throws -> Void)? = nil
    ) async throws -> TestClient {
        let inbox = Inbox()
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(Patience.guardTime))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try transport?(channel)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(inbox)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return TestClient(channel: channel, inbox: inbox)
    }

    /// Connects and registers as `name`; returns once `Connected` arrived (the frame is consumed).
    /// A cluster node answers `Error cluster unavailable` while it cannot vouch for ids: a claim
    /// that took longer than its 5 s timeout (a full suite on two cores can stall a process that
    /// long) or the grace after a loss. That is the node doing its job, not the answer a test of
    /// something else is about: such a Connect is tried again, within the hang guard. Tests of
    /// that answer read it on a raw connection.
    public static func online(
        _ name: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        transport: (@Sendable (any Channel) throws -> Void)? = nil
    ) async throws -> TestClient {
        let deadline = ContinuousClock.now + Patience.guardTime
        while true {
            let client = try await TestClient.connect(port: port, group: group, transport: transport)
            try await client.send(to: "-SERVER-", from: name, "Connect \(name)")
            let reply = try await client.next()
            if case .connected? = try? ServerControl.parse(reply.body) { return client }
            await client.close()
            guard reply.text == "Error \(CloseReason.clusterUnavailableText)", ContinuousClock.now < deadline else {
                throw TestFailure("expected Connected, got '\(reply.text)'")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Sends one frame.
    public func send(to destination: String, from source: String, _ body: String) async throws {
        let frame = try Frame(
            destination: ChatName(validating: destination), source: ChatName(validating: source), text: body)
        do {
            try await self.channel.writeAndFlush(frame.wire)
        } catch {
            // Say what the server said last: the reason it closed the connection is usually there.
            let last = self.pending.suffix(3).map { "'\($0.text)'" }.joined(separator: ", ")
            throw TestFailure("sending '\(body)' failed: \(error); last frames: \(last)")
        }
    }

    /// Sends `Alive <name>` every `interval` until the returned task is cancelled.
    public func keepAlive(as name: String, every interval: Duration = .milliseconds(100)) -> Task<Void, any Error> {
        Task {
            while !Task.isCancelled {
                try await self.send(to: "-SERVER-", from: name, "Alive \(name)")
                try await Task.sleep(for: interval)
            }
        }
    }

    /// Asks the server something it answers at once (a message to `nobody` gets `Offline
    /// nobody`): once the answer is here, the server is serving this client and has read
    /// everything sent before. Skips list pushes; anything else fails.
    public func expectServed(as name: String) async throws {
        try await self.send(to: "nobody", from: name, "ping")
        let answer = try await self.nextSkippingLists().text
        guard answer == "Offline nobody" else { throw TestFailure("expected 'Offline nobody', got '\(answer)'") }
    }

    /// Sends raw bytes.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// The next frame, waiting at most `timeout`.
    public func next(timeout: Duration = Patience.guardTime) async throws -> Frame {
        try await self.inbox.next(timeout: max(timeout, .zero), on: self.channel.eventLoop)
    }

    /// The next frame's body parsed as a server control message.
    public func nextControl(timeout: Duration = Patience.guardTime) async throws -> ServerControl {
        let frame = try await self.next(timeout: timeout)
        guard frame.source == .server else { throw TestFailure("expected a server frame, got '\(frame.text)'") }
        return try ServerControl.parse(frame.body)
    }

    /// Reads list parts until one whole list arrived; skips nothing else (other frames fail).
    public func nextList(timeout: Duration = Patience.guardTime) async throws -> [String] {
        var reassembler = ListReassembler()
        while true {
            guard case .list(let part) = try await self.nextControl(timeout: timeout) else {
                throw TestFailure("expected a list part")
            }
            if let names = try reassembler.add(part) { return names.map(\.text) }
        }
    }

    /// Waits until a list equal to `expected` arrives, skipping older lists; fails on other frames.
    public func awaitList(_ expected: [String], timeout: Duration = Patience.guardTime) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let list = try await self.nextList(timeout: deadline - ContinuousClock.now)
            if list == expected { return }
        }
    }

    /// The next frame that is not a part of a list push (pushes may come at any time).
    public func nextSkippingLists(timeout: Duration = Patience.guardTime) async throws -> Frame {
        let deadline = ContinuousClock.now + timeout
        while true {
            let frame = try await self.next(timeout: deadline - ContinuousClock.now)
            if frame.source == .server, case .list? = try? ServerControl.parse(frame.body) { continue }
            return frame
        }
    }

    /// Frames received and not yet taken.
    public var pending: [Frame] { self.inbox.state.withLockedValue { $0.frames } }

    /// Waits up to `timeout` for the server to close the connection.
    public func awaitClosed(timeout: Duration = Patience.guardTime) async throws {
        let loop = self.channel.eventLoop
        let outcome = loop.makePromise(of: Void.self)
        let settled = NIOLockedValueBox(false)
        @Sendable func settle(_ body: () -> Void) {
            let first = settled.withLockedValue { done in
                defer { done = true }
                return !done
            }
            if first { body() }
        }
        self.channel.closeFuture.whenComplete { _ in settle { outcome.succeed() } }
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) {
            settle { outcome.fail(TestFailure("still open after \(timeout)")) }
        }
        defer { timer.cancel() }
        try await outcome.futureResult.get()
    }

    /// Stops (or resumes) reading from the socket, to play a client that does not keep up.
    public func setReading(_ reading: Bool) async throws {
        try await self.channel.setOption(.autoRead, value: reading).get()
    }

    /// Takes every frame received so far.
    public func drain() -> [Frame] {
        self.inbox.state.withLockedValue { state in
            defer { state.frames.removeAll() }
            return state.frames
        }
    }

    /// Whether the connection is closed.
    public var isClosed: Bool { self.inbox.state.withLockedValue { $0.closed } }

    /// Closes the connection from this side.
    public func close() async {
        try? await self.channel.close()
    }
}

extension TestClient {
    /// alice online at `alicePort`, bob at `bobPort` (the same unless given), once alice's list
    /// holds both.
    public static func aliceAndBob(port alicePort: Int, bobPort: Int? = nil) async throws -> (
        alice: TestClient, bob: TestClient
    ) {
        let alice = try await TestClient.online("alice", port: alicePort)
        let bob = try await TestClient.online("bob", port: bobPort ?? alicePort)
        try await alice.awaitList(["alice", "bob"])
        return (alice, bob)
    }
}
