import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ChatServerCore

/// The page handler alone on an `EmbeddedChannel`, its time moved by hand.
@Suite("Web: the page handler")
struct WebPageHandlerTests {
    private static func request(_ uri: String, on channel: EmbeddedChannel) throws {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
        head.headers.add(name: "Host", value: "127.0.0.1:8080")
        try channel.writeInbound(HTTPServerRequestPart.head(head))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
    }

    private static func status(from channel: EmbeddedChannel) throws -> HTTPResponseStatus? {
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            if case .head(let head) = part { return head.status }
        }
        return nil
    }

    @Test("A kept-alive page connection is closed when no request follows within the idle timeout")
    func idleClose() throws {
        let channel = EmbeddedChannel(handler: WebPageHandler(policy: OriginPolicy(allowing: [])))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try Self.request("/", on: channel)
        #expect(try Self.status(from: channel) == .ok)
        channel.embeddedEventLoop.advanceTime(by: WebPageHandler.idleTimeout - .milliseconds(1))
        try Self.request("/chat.js", on: channel)
        #expect(try Self.status(from: channel) == .ok)
        #expect(channel.isActive, "a request in time keeps it open")
        channel.embeddedEventLoop.advanceTime(by: WebPageHandler.idleTimeout)
        #expect(!channel.isActive, "idle for the timeout: closed")
    }

    @Test("The page's own origin, no origin and listed origins pass; others do not")
    func origins() {
        let policy = OriginPolicy(allowing: ["https://Chat.Example.com/"])
        #expect(policy.allows(origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080"))
        #expect(policy.allows(origin: "https://127.0.0.1:8080", host: "127.0.0.1:8080"), "a proxy that ends TLS")
        #expect(policy.allows(origin: nil, host: "127.0.0.1:8080"))
        #expect(policy.allows(origin: "https://chat.example.com", host: "127.0.0.1:8080"))
        #expect(!policy.allows(origin: "http://127.0.0.1:8081", host: "127.0.0.1:8080"))
        #expect(!policy.allows(origin: "https://evil.example", host: "127.0.0.1:8080"))
        #expect(!policy.allows(origin: "null", host: "127.0.0.1:8080"), "a sandboxed page")
        #expect(!policy.allows(origin: "http://127.0.0.1:8080", host: nil))
    }
}
