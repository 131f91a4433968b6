import ChatWire
import Crypto
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The web listener's HTTP side: serves the web chat page (`WebClientPage`) and upgrades
/// `GET /ws` to a WebSocket (RFC 6455, subprotocol `chat255`) for pages of an allowed origin
/// (`OriginPolicy`). At the upgrade it takes the HTTP handlers out of the pipeline, itself
/// included, and puts the WebSocket frame codec in front of the `WebSocketFrameAdapter`: from
/// then on the connection is a chat connection like any other.
///
/// The upgrade is done here rather than with NIO's `HTTPServerUpgradeHandler`: its WebSocket
/// upgrader adds the frame codec at the end of the pipeline, behind the protocol handler, where
/// it cannot stay.
final class WebPageHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// RFC 6455's constant, appended to the client's key for the accept header.
    private static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    /// The subprotocol: one binary message per chat255 frame.
    static let subprotocol = "chat255"

    /// How long a kept-alive page connection may wait for its next request before it is
    /// closed: a browser keeps the connections of a page load open, and they are not chat
    /// clients waiting for `Connect` (the connect timeout would close them, and log it).
    static let idleTimeout: TimeAmount = .seconds(5)

    private let policy: OriginPolicy
    /// The request being read.
    private var head: HTTPRequestHead?
    /// Closes the connection when no request follows the last answer in time.
    private var idle: Scheduled<Void>?

    /// A handler serving pages and upgrades for origins `policy` allows.
    init(policy: OriginPolicy) {
        self.policy = policy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.idle?.cancel()
            self.idle = nil
            self.head = head
        case .body: break  // no request here has a body worth reading
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            self.answer(head, context: context)
        }
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard head.method == .GET || head.method == .HEAD else {
            self.respond(
                .methodNotAllowed, "only GET and HEAD here\n", extra: [("Allow", "GET, HEAD")], to: head,
                context: context)
            return
        }
        if path == "/ws" {
            self.upgradeOrRefuse(head, context: context)
            return
        }
        guard let file = WebClientPage.file(at: String(path)) else {
            self.respond(.notFound, "not found\n", to: head, context: context)
            return
        }
        self.respond(
            .ok, file.body, type: file.type,
            extra: [
                ("Cache-Control", "no-cache"), ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"), ("Content-Security-Policy", WebClientPage.contentSecurityPolicy),
            ], to: head, context: context)
    }

    /// `GET /ws`: upgrades a WebSocket request from an allowed page; refuses anything else.
    private func upgradeOrRefuse(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let headers = head.headers
        guard self.policy.allows(origin: headers.first(name: "Origin"), host: headers.first(name: "Host")) else {
            self.respond(.forbidden, "this page's origin may not open the chat\n", to: head, context: context)
            return
        }
        guard head.method == .GET,
            headers[canonicalForm: "Upgrade"].contains(where: { $0.lowercased() == "websocket" }),
            headers[canonicalForm: "Connection"].contains(where: { $0.lowercased() == "upgrade" }),
            let key = headers.first(name: "Sec-WebSocket-Key"), !key.isEmpty
        else {
            self.respond(
                .upgradeRequired, "a WebSocket upgrade (subprotocol chat255) is needed here\n",
                extra: [("Upgrade", "websocket")], to: head, context: context)
            return
        }
        guard headers.first(name: "Sec-WebSocket-Version") == "13" else {
            self.respond(
                .upgradeRequired, "WebSocket version 13 is needed\n", extra: [("Sec-WebSocket-Version", "13")],
                to: head, context: context)
            return
        }
        // Subprotocol tokens compare case-sensitively (RFC 6455 section 4.1).
        let offered = headers[canonicalForm: "Sec-WebSocket-Protocol"].map(String.init)
        guard offered.isEmpty || offered.contains(Self.subprotocol) else {
            self.respond(.badRequest, "the subprotocol must be chat255\n", to: head, context: context)
            return
        }
        var response = HTTPHeaders()
        response.add(name: "Upgrade", value: "websocket")
        response.add(name: "Connection", value: "Upgrade")
        response.add(name: "Sec-WebSocket-Accept", value: Self.accept(key: key))
        if !offered.isEmpty { response.add(name: "Sec-WebSocket-Protocol", value: Self.subprotocol) }
        context.writeAndFlush(
            self.wrapOutboundOut(
                .head(HTTPResponseHead(version: head.version, status: .switchingProtocols, headers: response))),
            promise: nil)
        do {
            try Self.switchToFrames(context.pipeline.syncOperations)
        } catch {
            context.close(promise: nil)
        }
    }

    /// Takes the HTTP handlers out and puts the frame codec in front of the adapter, then tells
    /// the adapter. The request decoder goes last: bytes that came after the request are
    /// forwarded to the frame decoder behind it.
    private static func switchToFrames(_ pipeline: ChannelPipeline.SynchronousOperations) throws {
        let adapter = try pipeline.handler(type: WebSocketFrameAdapter.self)
        try pipeline.addHandler(WebSocketFrameEncoder(), position: .before(adapter))
        try pipeline.addHandler(
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: Wire.maxFrameLength)), position: .before(adapter))
        pipeline.removeHandler(context: try pipeline.context(handlerType: HTTPServerPipelineHandler.self), promise: nil)
        pipeline.removeHandler(
            context: try pipeline.context(handlerType: HTTPServerProtocolErrorHandler.self), promise: nil)
        pipeline.removeHandler(context: try pipeline.context(handlerType: WebPageHandler.self), promise: nil)
        pipeline.removeHandler(context: try pipeline.context(handlerType: HTTPResponseEncoder.self), promise: nil)
        pipeline.removeHandler(
            context: try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self), promise: nil)
        adapter.upgraded(context: try pipeline.context(handler: adapter))
    }

    /// `Sec-WebSocket-Accept` for the client's `Sec-WebSocket-Key`.
    static func accept(key: String) -> String {
        let digest = Array(Insecure.SHA1.hash(data: Array((key + Self.acceptGUID).utf8)))
        return Base64.encode(digest) + String(repeating: "=", count: (3 - digest.count % 3) % 3)
    }

    /// A whole response (no body for HEAD); closes afterwards unless the request keeps the
    /// connection alive.
    private func respond(
        _ status: HTTPResponseStatus, _ body: String, type: String = "text/plain; charset=utf-8",
        extra: [(String, String)] = [], to request: HTTPRequestHead, context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders([("Content-Type", type), ("Content-Length", "\(body.utf8.count)")] + extra)
        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            self.wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
            promise: nil)
        if request.method != .HEAD {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        }
        let done = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        let channel = context.channel
        if request.isKeepAlive {
            self.idle = context.eventLoop.scheduleTask(in: Self.idleTimeout) { channel.close(promise: nil) }
        } else {
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.idle?.cancel()
        self.idle = nil
    }
}
