import NIOCore
import NIOHTTP1

/// Answers the operations endpoint's requests (`OperationsServer`), one per request, in order:
/// - `GET /metrics`: the metrics in Prometheus' text format (404 when metrics are off);
/// - `GET /healthz`: 200 while the process serves;
/// - `GET /readyz`: 200 when it takes clients (and, in a cluster, its backbone is connected and
///   current), else 503 with the reason.
///
/// `HEAD` is answered as `GET` without the body; another method is 405, another path 404.
final class OperationsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let status: OperationsStatus
    /// The request being read: its head, until its end arrives.
    private var request: HTTPRequestHead?

    /// A handler answering from `status`.
    init(status: OperationsStatus) {
        self.status = status
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.request = head
        case .body:
            break  // no endpoint takes a body
        case .end:
            guard let head = self.request else { return }
            self.request = nil
            self.answer(head, context: context)
        }
    }

    private func answer(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard request.method == .GET || request.method == .HEAD else {
            self.respond(
                .methodNotAllowed, "only GET\n", extra: [("Allow", "GET, HEAD")], to: request, context: context)
            return
        }
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        switch path {
        case "/metrics":
            guard let metrics = self.status.metrics() else {
                self.respond(.notFound, "metrics are off\n", to: request, context: context)
                return
            }
            self.respond(
                .ok, metrics, contentType: "text/plain; version=0.0.4; charset=utf-8", to: request, context: context)
        case "/healthz":
            self.respond(.ok, "ok\n", to: request, context: context)
        case "/readyz":
            if let problem = self.status.readiness() {
                self.respond(.serviceUnavailable, "not ready: \(problem)\n", to: request, context: context)
            } else {
                self.respond(.ok, "ready\n", to: request, context: context)
            }
        default:
            self.respond(.notFound, "not found: /metrics, /healthz, /readyz\n", to: request, context: context)
        }
    }

    private func respond(
        _ code: HTTPResponseStatus, _ text: String, extra: [(String, String)] = [], to request: HTTPRequestHead,
        context: ChannelHandlerContext
    ) {
        self.respond(code, Array(text.utf8), extra: extra, to: request, context: context)
    }

    private func respond(
        _ code: HTTPResponseStatus, _ body: [UInt8], contentType: String = "text/plain; charset=utf-8",
        extra: [(String, String)] = [], to request: HTTPRequestHead, context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.count)")] + extra)
        headers.add(name: "Cache-Control", value: "no-store")
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            self.wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: code, headers: headers))),
            promise: nil)
        if request.method != .HEAD {
            context.write(
                self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let done = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in loopBoundContext.value.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case IdleStateHandler.IdleStateEvent.read = event {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)  // a request that does not parse: nothing to answer
    }
}
