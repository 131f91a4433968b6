import ChatBenchCore
import ChatWireTestSupport
import NIOPosix
import Testing

/// chatbench's checks can fail: against a relay that drops, repeats, reorders or corrupts one
/// message, the result says so and is not clean.
@Suite("chatbench: faults are reported")
struct BenchDetectionTests {
    private func run(against fault: FaultyRelay.Fault) async throws -> TrafficResult {
        let relay = try await FaultyRelay.start(fault: fault, at: 40)
        let load = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            var options = TrafficBenchmark.Options(pattern: .pairs(1))
            options.port = relay.port
            options.window = 8
            // Fixed work, not fixed time: the relay's 40th message is always among them, however
            // busy the machine.
            options.warmup = .milliseconds(50)
            options.messages = 100
            options.duration = Patience.guardTime
            let result = try await TrafficBenchmark.run(options, group: load)
            try await load.shutdownGracefully()
            try await relay.stop()
            return result
        } catch {
            try? await load.shutdownGracefully()
            try? await relay.stop()
            throw error
        }
    }

    @Test("a dropped message is counted lost")
    func drop() async throws {
        let result = try await self.run(against: .drop)
        #expect(!result.isClean)
        #expect(result.lost == 1 && result.misordered == 0 && result.corrupted == 0, "\(result)")
    }

    @Test("a repeated message is counted as repeated or reordered")
    func duplicate() async throws {
        let result = try await self.run(against: .duplicate)
        #expect(!result.isClean)
        #expect(result.misordered == 1 && result.lost == 0 && result.corrupted == 0, "\(result)")
    }

    @Test("two messages delivered the wrong way round are counted as reordered, not lost")
    func swap() async throws {
        let result = try await self.run(against: .swap)
        #expect(!result.isClean)
        #expect(result.misordered == 1 && result.lost == 0 && result.corrupted == 0, "\(result)")
    }

    @Test("a changed byte is counted corrupted")
    func corrupt() async throws {
        let result = try await self.run(against: .corrupt)
        #expect(!result.isClean)
        #expect(result.corrupted == 1 && result.misordered == 0, "\(result)")
    }
}
