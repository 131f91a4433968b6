import ChatSystem
import Testing

/// The waits between attempts, shared by the client's reconnects and the cluster's Redis connections.
@Suite("Backoff")
struct BackoffTests {
    @Test("waits: first, doubling, up to the limit, spread by the jitter")
    func delays() {
        let retry = Backoff(initial: .milliseconds(100), maximum: .seconds(2), jitter: 0.2)
        #expect(
            (1...7).map { retry.delay(afterFailures: $0, random: 0) } == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
                .seconds(2), .seconds(2),
            ])
        #expect(retry.delay(afterFailures: 1, random: 1) == .milliseconds(120))
        #expect(retry.delay(afterFailures: 1, random: -1) == .milliseconds(80))
        #expect(retry.delay(afterFailures: 1_000_000, random: 5) == .milliseconds(2400), "bounded, whatever the input")
    }

    @Test("the client's defaults double from 0.5 s up to 30 s, each wait within ±20 %")
    func clientDefaults() {
        var backoff = Backoff()
        var generator = SystemRandomNumberGenerator()
        let expected: [Double] = [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
        for base in expected {
            let delay = backoff.next(using: &generator)
            let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
            #expect(seconds >= base * 0.8 - 1e-9 && seconds <= base * 1.2 + 1e-9, "\(seconds) for \(base)")
        }
    }
}
