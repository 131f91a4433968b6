import ChatTestSupport
import ChatWireTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RESP
import Testing

@Suite("RESP: a client that comes back by itself", .serialized)
struct RESPClientTests {
    @Test("waits: first, doubling, up to the limit, spread by the jitter")
    func retryDelays() {
        let retry = RESPRetry(first: .milliseconds(100), limit: .seconds(2), jitter: 0.2)
        #expect(
            (1...7).map { retry.delay(afterFailures: $0, random: 0) } == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
                .seconds(2), .seconds(2),
            ])
        #expect(retry.delay(afterFailures: 1, random: 1) == .milliseconds(120))
        #expect(retry.delay(afterFailures: 1, random: -1) == .milliseconds(80))
        #expect(retry.delay(afterFailures: 1_000_000, random: 5) == .milliseconds(2400), "bounded, whatever the input")
    }

    @Test("Redis killed and started again on its port: the client says so, fails fast meanwhile, and comes back")
    func reconnects() async throws {
        let first = try await RedisServer()
        let events = NIOLockedValueBox<[String]>([])
        let client = RESPClient(
            endpoint: try RESPEndpoint(url: first.url), loop: MultiThreadedEventLoopGroup.singleton.next(),
            retry: RESPRetry(first: .milliseconds(20), limit: .milliseconds(200)))
        client.start { event in
            switch event {
            case .connected: events.withLockedValue { $0.append("connected") }
            case .disconnected: events.withLockedValue { $0.append("disconnected") }
            }
        }
        try await waitUntil("connected") { client.isConnected }
        _ = try await client.send(["SET", "k", "1"]).get()
        first.stop()
        try await waitUntil("the loss noticed") { !client.isConnected }
        await #expect(throws: RESPError.connectionClosed) { _ = try await client.send(["PING"]).get() }
        let second = try await RedisServer(port: first.port)
        defer { second.stop() }
        try await waitUntil("connected again") { client.isConnected }
        #expect(try await client.send(["GET", "k"]).get() == .bulkString(nil), "a restarted Redis is empty")
        let seen = events.withLockedValue { $0 }
        #expect(seen.first == "connected" && seen.last == "connected" && seen.contains("disconnected"))
        await client.stop()
        #expect(!client.isConnected)
    }
}
