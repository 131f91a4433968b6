import NIOCore
import Testing

@testable import ChatServerCore

@Suite("Flood control: token buckets, the per-client gate, the per-address limiter")
struct FloodValueTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test("A bucket lends past empty and says when the debt is paid; it refills at its rate up to its capacity")
    func bucket() {
        var bucket = TokenBucket(rate: 100, capacity: 50, now: self.start)
        #expect(bucket.spend(50, at: self.start) == nil, "the burst")
        #expect(bucket.spend(100, at: self.start) == self.start + .seconds(1), "100 in debt at 100 a second")
        #expect(bucket.spend(0, at: self.start + .milliseconds(500)) == self.start + .seconds(1))
        #expect(bucket.spend(0, at: self.start + .seconds(1)) == nil)
        #expect(!bucket.isFull(at: self.start + .seconds(1)))
        #expect(bucket.isFull(at: self.start + .seconds(10)), "never above its capacity")
        var connects = TokenBucket(rate: 2, capacity: 2, now: self.start)
        let first = connects.take(at: self.start)
        let second = connects.take(at: self.start)
        let third = connects.take(at: self.start)
        let later = connects.take(at: self.start + .milliseconds(500))
        #expect(first && second)
        #expect(!third, "nothing taken when empty")
        #expect(later)
    }

    @Test("The gate pauses a client over its frames or its bytes until both buckets are out of debt")
    func gate() throws {
        var limits = FloodLimits()
        #expect(FloodGate(limits, now: self.start) == nil, "no limit, no gate")
        limits.messagesPerSecond = 10
        limits.burst = 5
        limits.bytesPerSecond = 1_000
        var gate = try #require(FloodGate(limits, now: self.start))
        #expect(gate.burst(frames: 5, bytes: 500, at: self.start) == nil)
        #expect(gate.burst(frames: 10, bytes: 100, at: self.start) == self.start + .seconds(1), "frames decide")
        #expect(
            gate.burst(frames: 0, bytes: 3_400, at: self.start + .seconds(1)) == self.start + .milliseconds(3_400),
            "bytes decide")
        #expect(limits.effectiveBurst == 5)
        limits.burst = 0
        #expect(limits.effectiveBurst == 10, "one second's worth")
    }

    @Test("Per address: connections open at once, new ones a second; closing gives room back")
    func addresses() {
        let limiter = AddressLimiter(maxOpen: 2, connectsPerSecond: 3)
        #expect(limiter.opened("10.0.0.1", at: self.start) == .admitted(counted: true))
        #expect(limiter.opened("10.0.0.1", at: self.start) == .admitted(counted: true))
        #expect(limiter.opened("10.0.0.1", at: self.start) == .tooManyOpen(2))
        #expect(
            limiter.opened("10.0.0.2", at: self.start) == .admitted(counted: true), "another address has its own count")
        limiter.closed("10.0.0.1", at: self.start)
        #expect(limiter.openCount("10.0.0.1") == 1)
        #expect(
            limiter.opened("10.0.0.1", at: self.start) == .admitted(counted: true),
            "a refused one spent no token: the third")
        limiter.closed("10.0.0.1", at: self.start)
        #expect(limiter.opened("10.0.0.1", at: self.start) == .tooManyNew(3), "three new ones in this second already")
        #expect(limiter.opened("10.0.0.1", at: self.start + .milliseconds(400)) == .admitted(counted: true))
        limiter.closed("10.0.0.1", at: self.start + .seconds(5))
        limiter.closed("10.0.0.1", at: self.start + .seconds(5))
        #expect(limiter.openCount("10.0.0.1") == 0)
    }

    @Test("Flood settings are checked")
    func settings() {
        var limits = FloodLimits()
        #expect(throws: Never.self) { try limits.validate() }
        limits.bytesPerSecond = 100
        #expect(throws: ConfigurationError.self) { try limits.validate() }
        limits.bytesPerSecond = 0
        limits.connectTimeout = .zero
        #expect(throws: ConfigurationError.self) { try limits.validate() }
        limits.connectTimeout = .seconds(10)
        limits.clientsPerAddress = 0
        #expect(throws: ConfigurationError.self) { try limits.validate() }
    }
}
