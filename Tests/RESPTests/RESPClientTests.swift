import ChatSystem
import ChatTestSupport
import ChatWireTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RESP
import Testing

@Suite("RESP: a client that comes back by itself", .serialized)
struct RESPClientTests {
    @Test("Redis killed and started again on its port: the client says so, fails fast meanwhile, and comes back")
    func reconnects() async throws {
        let first = try await RedisServer()
        let events = NIOLockedValueBox<[String]>([])
        let client = RESPClient(
            target: try RESPTarget(url: first.url), loop: MultiThreadedEventLoopGroup.singleton.next(),
            retry: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200)))
        client.start { event in
            switch event {
            case .connected: events.withLockedValue { $0.append("connected") }
            case .disconnected: events.withLockedValue { $0.append("disconnected") }
            }
        }
        try await waitUntil("connected") { client.isConnected }
        _ = try await client.send(["SET", "k", "1"]).get()
        first.stop(holdingPort: true)
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
