import ChatTestSupport
import ChatWireTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RESP
import Testing

/// The client against a real `redis-server` (Debian's, started on a free port by the test).
@Suite("RESP: against a real Redis", .serialized)
struct RESPConnectionTests {
    private let loop = MultiThreadedEventLoopGroup.singleton.next()

    @Test("commands pipeline and are answered in order; an error reply fails only its command")
    func pipelining() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let connection = try await RESPConnection.connect(
            to: try RESPEndpoint(url: redis.url), on: self.loop, timeout: Patience.guardTime)
        let answers = (0..<200).map { _ in connection.send(["INCR", "counter"]) }
        let bad = connection.send(["NOSUCHCOMMAND"])
        let last = connection.send(["GET", "counter"])
        var numbers: [Int64] = []
        for answer in answers {
            guard case .integer(let number) = try await answer.get() else { throw TestFailure("not a number") }
            numbers.append(number)
        }
        #expect(numbers == Array(1...200))
        await #expect(throws: RESPError.self) { _ = try await bad.get() }
        #expect(try await last.get().text == "200")
        let binary = ByteBuffer(bytes: [0, 255, 13, 10, 42])
        _ = try await connection.send(["SET", "bytes", .bytes(binary)]).get()
        #expect(try await connection.send(["GET", "bytes"]).get() == .bulkString(binary))
        await connection.close()
    }

    @Test("a subscriber receives what is published on its channels, in order, binary-safe")
    func publishSubscribe() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let endpoint = try RESPEndpoint(url: redis.url)
        let received = NIOLockedValueBox<[RESPMessage]>([])
        let subscriber = try await RESPConnection.connect(to: endpoint, on: self.loop, timeout: Patience.guardTime) {
            message in
            received.withLockedValue { $0.append(message) }
        }
        _ = try await subscriber.send(["SUBSCRIBE", "chat.node-a"]).get()
        _ = try await subscriber.send(["SUBSCRIBE", "chat.node-b"]).get()
        let publisher = try await RESPConnection.connect(to: endpoint, on: self.loop, timeout: Patience.guardTime)
        for index in 0..<50 {
            _ = try await publisher.send([
                "PUBLISH", index % 2 == 0 ? "chat.node-a" : "chat.node-b", .text("m\(index)"),
            ]).get()
        }
        _ = try await publisher.send(["PUBLISH", "chat.node-a", .bytes(ByteBuffer(bytes: [0, 1, 2]))]).get()
        try await waitUntil("51 messages") { received.withLockedValue { $0.count } == 51 }
        let messages = received.withLockedValue { $0 }
        #expect(messages.prefix(50).map { String(buffer: $0.payload) } == (0..<50).map { "m\($0)" })
        #expect(messages.prefix(50).map(\.channel) == (0..<50).map { $0 % 2 == 0 ? "chat.node-a" : "chat.node-b" })
        #expect(messages.last?.payload == ByteBuffer(bytes: [0, 1, 2]))
        await subscriber.close()
        await publisher.close()
    }

    @Test("a password: the right one connects, a wrong or missing one is Redis's own error")
    func authentication() async throws {
        let redis = try await RedisServer(arguments: ["--requirepass", "s3cret"])
        defer { redis.stop() }
        let good = try await RESPConnection.connect(
            to: try RESPEndpoint(url: "redis://:s3cret@127.0.0.1:\(redis.port)/3"), on: self.loop,
            timeout: Patience.guardTime)
        #expect(try await good.send(["PING"]).get() == .simpleString("PONG"))
        await good.close()
        await #expect(throws: RESPError.self) {
            _ = try await RESPConnection.connect(
                to: try RESPEndpoint(url: "redis://:wrong@127.0.0.1:\(redis.port)"), on: self.loop,
                timeout: Patience.guardTime)
        }
        let anonymous = try await RESPConnection.connect(
            to: try RESPEndpoint(url: redis.url), on: self.loop, timeout: Patience.guardTime)
        await #expect(throws: RESPError.self) { _ = try await anonymous.send(["GET", "k"]).get() }
        await anonymous.close()
    }

    @Test("the server goes away: every command waiting fails, none hangs")
    func serverGone() async throws {
        let redis = try await RedisServer()
        let connection = try await RESPConnection.connect(
            to: try RESPEndpoint(url: redis.url), on: self.loop, timeout: Patience.guardTime)
        let blocked = connection.send(["BLPOP", "nothing", "0"])  // waits forever on the server
        redis.stop()
        await #expect(throws: (any Error).self) { _ = try await blocked.get() }
        await #expect(throws: (any Error).self) { _ = try await connection.send(["PING"]).get() }
    }
}
