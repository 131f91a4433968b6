import NIOCore
import Testing

@testable import ChatBenchCore

/// `--rate`'s rule with the time given by hand.
@Suite("chatbench: rate pacing")
struct RatePacerTests {
    @Test("2,000 msgs/s: 1 due after 0.5 ms, 200 after 100 ms less those sent; none while ahead")
    func due() {
        let pacer = RatePacer(rate: 2_000)
        #expect(pacer.due(after: .microseconds(499), sent: 0) == 0)
        #expect(pacer.due(after: .microseconds(500), sent: 0) == 1)
        #expect(pacer.due(after: .milliseconds(100), sent: 0) == 200)
        #expect(pacer.due(after: .milliseconds(100), sent: 150) == 50)
        #expect(pacer.due(after: .milliseconds(100), sent: 250) == 0, "ahead: waits")
        #expect(pacer.due(after: .seconds(5), sent: 200) == 9_800, "behind: catches up")
        #expect(RatePacer(rate: 0).due(after: .seconds(1), sent: 0) == 0)
    }
}
