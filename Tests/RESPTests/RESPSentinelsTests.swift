import ChatTestSupport
import ChatWireTestSupport
import Foundation
import NIOPosix
import RESP
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Finding the primary through real sentinels (`redis-server --sentinel`) that disagree: two
/// of three monitor one server under the name, the third another one.
@Suite("RESP: the primary a majority of the sentinels name")
struct RESPSentinelsTests {
    @Test(
        "Two sentinels of three name one primary, the third another: the majority wins; one against one, with the third down: no primary, an outage"
    )
    func majority() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sentinels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try await RedisServer()
        let second = try await RedisServer()
        defer {
            first.stop()
            second.stop()
        }
        var sentinels: [RedisServer] = []
        defer { for sentinel in sentinels { sentinel.stop() } }
        for port in [first.port, first.port, second.port] {
            sentinels.append(
                try await RedisServer.sentinel(
                    monitoring: port, as: "chat", replicaPort: nil, downAfter: .seconds(5), folder: folder))
        }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        func url(_ servers: [RedisServer]) -> String {
            "redis-sentinel://" + servers.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") + "/chat"
        }
        // Questions whose answer is the point get as long as the hang guard (a full suite on
        // two cores can keep a sentinel from answering within a second). The refusals below
        // stay at 1 s.
        func answered(_ sentinels: RESPSentinels) async throws -> RESPEndpoint {
            try await sentinels.primary(on: loop, timeout: Patience.guardTime)
        }
        let all = try RESPSentinels(url: url(sentinels))
        #expect(try await answered(all).port == first.port)
        let reversed = try RESPSentinels(url: url(sentinels.reversed()))
        #expect(try await answered(reversed).port == first.port, "not the first answer")
        // A sentinel that never answers holds up nobody once two of three agree.
        let (silent, silentPort) = try Self.silentListener()
        defer { close(silent) }
        let withSilent = try RESPSentinels(
            url:
                "redis-sentinel://127.0.0.1:\(silentPort),127.0.0.1:\(sentinels[0].port),127.0.0.1:\(sentinels[1].port)/chat"
        )
        let asked = ContinuousClock.now
        #expect(try await answered(withSilent).port == first.port)
        #expect(ContinuousClock.now - asked < Patience.guardTime, "not held up by the silent one")
        sentinels[1].stop()
        await #expect(throws: RESPError.self) { try await all.primary(on: loop, timeout: .seconds(1)) }
        do {
            _ = try await all.primary(on: loop, timeout: .seconds(1))
        } catch let error as RESPError {
            #expect(error.isOutage, "\(error)")
            #expect("\(error)".contains("no majority"), "\(error)")
        }
        let unknown = try RESPSentinels(url: url([sentinels[0]]).replacingOccurrences(of: "/chat", with: "/other"))
        await #expect(throws: RESPError.unknownPrimary("other")) { try await answered(unknown) }
    }

    @Test("A sentinel that takes the connection and never answers: named, with 'no answer within' its time")
    func silentSentinel() async throws {
        let (fd, port) = try Self.silentListener()
        defer { close(fd) }
        let silent = try RESPSentinels(url: "redis-sentinel://127.0.0.1:\(port)/chat")
        let error = await #expect(throws: RESPError.self) {
            try await silent.primary(on: MultiThreadedEventLoopGroup.singleton.next(), timeout: .milliseconds(200))
        }
        #expect(error?.isOutage == true)
        #expect(
            "\(error.map { "\($0)" } ?? "")".contains("127.0.0.1:\(port): no answer within 0.2 seconds"),
            "\(String(describing: error))")
    }

    /// A socket that listens and is never accepted from: the kernel completes the handshake,
    /// and nothing is ever read or written. Its descriptor (close it) and port.
    static func silentListener() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw TestFailure("no silent listener")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
