public import ChatWireTestSupport
import NIOConcurrencyHelpers
import NIOCore
public import NIOHTTP1
import NIOPosix

/// A small real HTTP/1.1 client for tests (NIO's request encoder and response decoder): one
/// request per connection, the whole answer returned, every wait bounded by `Patience`.
public enum HTTPClient {
    /// One answer.
    public struct Response: Sendable {
        /// The status code.
        public let status: Int
        /// The headers, as sent.
        public let headers: [(String, String)]
        /// The body, as text.
        public let body: String
    }

    /// Collects one response and completes the promise with it.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<Response>
        var head: HTTPResponseHead?
        var body: [UInt8] = []

        init(promise: EventLoopPromise<Response>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body(let bytes): self.body += bytes.readableBytesView
            case .end:
                guard let head = self.head else { return }
                self.promise.succeed(
                    Response(
                        status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) },
                        body: String(decoding: self.body, as: UTF8.self)))
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.promise.fail(TestFailure("the connection closed before the whole answer"))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.promise.fail(error)
            context.close(promise: nil)
        }
    }

    /// Sends `method path` to `host:port` and returns the answer.
    public static func request(
        _ path: String, method: HTTPMethod = .GET, host: String = "127.0.0.1", port: Int,
        timeout: Duration = Patience.guardTime
    ) async throws -> Response {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Response.self)
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Collector(promise: promise))
                }
            }
            .connect(host: host, port: port)
            .get()
        let deadline = loop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(TestFailure("no answer to \(method) \(path) within \(timeout)"))
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer { deadline.cancel() }
        return try await promise.futureResult.get()
    }
}
