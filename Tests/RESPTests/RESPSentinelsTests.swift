import ChatTestSupport
import ChatWireTestSupport
import Foundation
import NIOPosix
import RESP
import Testing

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
        // Answers from three real sentinels: as long as the hang guard (a full suite on two
        // cores kept three sentinels from answering within 1 s). The refusals below stay at 1 s.
        let all = try RESPSentinels(url: url(sentinels))
        #expect(try await all.primary(on: loop, timeout: Patience.guardTime).port == first.port)
        let reversed = try RESPSentinels(url: url(sentinels.reversed()))
        #expect(
            try await reversed.primary(on: loop, timeout: Patience.guardTime).port == first.port, "not the first answer"
        )
        sentinels[1].stop()
        await #expect(throws: RESPError.self) { try await all.primary(on: loop, timeout: .seconds(1)) }
        do {
            _ = try await all.primary(on: loop, timeout: .seconds(1))
        } catch let error as RESPError {
            #expect(error.isOutage, "\(error)")
            #expect("\(error)".contains("no majority"), "\(error)")
        }
        let unknown = try RESPSentinels(url: url([sentinels[0]]).replacingOccurrences(of: "/chat", with: "/other"))
        await #expect(throws: RESPError.unknownPrimary("other")) {
            try await unknown.primary(on: loop, timeout: .seconds(1))
        }
    }
}
