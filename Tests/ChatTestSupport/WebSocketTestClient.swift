public import ChatWire
public import ChatWireTestSupport
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
import NIOSSL
public import NIOWebSocket

/// A WebSocket client for the tests, written from the RFC so that it can also send what a
/// browser never would: a text message, two frames in one message, fragments, oversized
/// messages, a foreign or missing `Origin`. Frames it sends are masked, as a client's must be.
public final class WebSocketTestClient: Sendable {
    /// The server's answer to the upgrade request.
    public struct Handshake: Sendable {
        /// The HTTP status (101 when upgraded).
        public let status: Int
        /// The response's headers, names lowercased.
        public let headers: [String: String]
    }

    private final class Inbox: Sendable {
        let state = NIOLockedValueBox((frames: [WebSocketFrame](), closed: false, handshake: Handshake?.none))
    }

    /// Reads the HTTP response to the upgrade request, then puts the frame codec in place.
    private final class HandshakeReader: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let inbox: Inbox
        var buffer = ByteBuffer()
        init(inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = self.unwrapInboundIn(data)
            self.buffer.writeBuffer(&bytes)
            let text = String(buffer: self.buffer)
            guard let end = text.range(of: "\r\n\r\n") else { return }
            let lines = text[..<end.lowerBound].split(separator: "\r\n")
            let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingSpaces()
            }
            self.inbox.state.withLockedValue { $0.handshake = Handshake(status: status, headers: headers) }
            let consumed = text[..<end.upperBound].utf8.count
            self.buffer.moveReaderIndex(forwardBy: consumed)
            let rest = self.buffer
            let pipeline = context.pipeline.syncOperations
            if status == 101 {
                try? pipeline.addHandler(WebSocketFrameEncoder(), position: .after(self))
                try? pipeline.addHandler(
                    ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)), position: .after(self))
            }
            pipeline.removeHandler(context: context, promise: nil)
            if status == 101, rest.readableBytes > 0 { context.fireChannelRead(self.wrapInboundOut(rest)) }
        }
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        let inbox: Inbox
        init(inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = self.unwrapInboundIn(data)
            self.inbox.state.withLockedValue { $0.frames.append(frame) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.inbox.state.withLockedValue { $0.closed = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    /// The connection.
    public let channel: any Channel
    private let inbox: Inbox

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Connects to `port` and asks to upgrade `path`; `origin` and `subprotocol` are sent when
    /// given (a browser page sends its origin, and `chat255`). With `trusting` (a CA's PEM file),
    /// over TLS to `localhost` (WSS). The answer is in `handshake`.
    public static func connect(
        port: Int, path: String = "/ws", host: String? = nil, origin: String? = nil,
        subprotocol: String? = "chat255", version: String = "13", trusting authority: String? = nil
    ) async throws -> WebSocketTestClient {
        let inbox = Inbox()
        let tls = try authority.map { file in
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
            return try NIOSSLContext(configuration: configuration)
        }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(Patience.guardTime))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: "localhost"))
                    }
                    try channel.pipeline.syncOperations.addHandler(HandshakeReader(inbox: inbox))
                    try channel.pipeline.syncOperations.addHandler(Collector(inbox: inbox))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        var request =
            "GET \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: \(version)\r\n"
        if let origin { request += "Origin: \(origin)\r\n" }
        if let subprotocol { request += "Sec-WebSocket-Protocol: \(subprotocol)\r\n" }
        try await channel.writeAndFlush(ByteBuffer(string: request + "\r\n"))
        let client = WebSocketTestClient(channel: channel, inbox: inbox)
        try await waitUntil("the upgrade's answer") {
            client.inbox.state.withLockedValue { $0.handshake != nil || $0.closed }
        }
        return client
    }

    /// A client online as `name` on the web listener at `port` (over TLS with `trusting`, a CA's
    /// PEM file): upgraded as a page of the server's own origin, its `Connected` read.
    public static func online(_ name: String, port: Int, trusting authority: String? = nil) async throws
        -> WebSocketTestClient
    {
        let client = try await Self.connect(port: port, origin: "http://127.0.0.1:\(port)", trusting: authority)
        guard client.handshake?.status == 101 else {
            throw TestFailure("\(name) was not upgraded: \(client.handshake?.status ?? 0)")
        }
        try await client.send(to: "-SERVER-", from: name, "Connect \(name)")
        let connected = try await client.nextChat()
        guard connected.text.hasPrefix("Connected ") else {
            throw TestFailure("\(name) was not admitted: \(connected.text)")
        }
        return client
    }

    /// The server's answer to the upgrade request.
    public var handshake: Handshake? { self.inbox.state.withLockedValue { $0.handshake } }

    /// Sends one frame, masked.
    public func send(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) async throws {
        let frame = WebSocketFrame(
            fin: fin, opcode: opcode, maskKey: .random(), data: ByteBuffer(bytes: bytes))
        try await self.channel.writeAndFlush(frame)
    }

    /// Sends chat255 frames, each one binary message, in one write to the socket (they arrive
    /// together: one read for the server).
    public func send(frames: [[UInt8]]) async throws {
        for frame in frames {
            self.channel.write(
                WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: frame)),
                promise: nil)
        }
        try await self.channel.writeAndFlush(
            WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: ByteBuffer()))
    }

    /// Sends a chat255 frame as one binary message.
    public func send(to destination: String, from source: String, _ body: String) async throws {
        try await self.send(.binary, wireFrame(destination, source, body))
    }

    /// The next frame received (pings and pongs included).
    public func next(timeout: Duration = Patience.guardTime) async throws -> WebSocketFrame {
        var frame: WebSocketFrame?
        try await waitUntil("a WebSocket frame", timeout: timeout) {
            frame = self.inbox.state.withLockedValue { state in state.frames.isEmpty ? nil : state.frames.removeFirst()
            }
            if frame == nil, self.inbox.state.withLockedValue({ $0.closed }) {
                throw TestFailure("the connection closed")
            }
            return frame != nil
        }
        guard let frame else { throw TestFailure("no frame") }
        return frame
    }

    /// The next chat255 frame (a binary message), as `Frame`; a close or a text message fails.
    public func nextChat(timeout: Duration = Patience.guardTime) async throws -> Frame {
        let frame = try await self.next(timeout: timeout)
        guard frame.opcode == .binary else { throw TestFailure("not a binary message: \(frame.opcode)") }
        let data = frame.unmaskedData
        guard let header = try? FrameDecoder.header(of: data), header.length == data.readableBytes else {
            throw TestFailure("not one chat255 frame: \(data.readableBytes) bytes")
        }
        let body = data.getSlice(at: data.readerIndex + Wire.headerLength, length: header.bodyLength) ?? ByteBuffer()
        return try Frame(destination: header.destination, source: header.source, body: body.readableBytesView)
    }

    /// The next chat255 frame that is not a list.
    public func nextChatSkippingLists(timeout: Duration = Patience.guardTime) async throws -> Frame {
        while true {
            let frame = try await self.nextChat(timeout: timeout)
            if !frame.text.hasPrefix("List ") { return frame }
        }
    }

    /// Stops (or starts again) reading from the socket: what the server sends piles up in the
    /// kernel's buffers and then in the server.
    public func setReading(_ reading: Bool) async throws {
        try await self.channel.setOption(ChannelOptions.autoRead, value: reading).get()
        if reading { self.channel.read() }
    }

    /// Whether the connection has closed.
    public var isClosed: Bool { !self.channel.isActive }

    /// Waits until the server closed the connection.
    public func awaitClosed(timeout: Duration = Patience.guardTime) async throws {
        try await waitUntil("the connection closed", timeout: timeout) { !self.channel.isActive }
    }

    /// Closes the connection.
    public func close() async {
        try? await self.channel.close()
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
