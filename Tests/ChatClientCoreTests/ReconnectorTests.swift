import ChatSystem
import ChatTestSupport
import ChatWireTestSupport
import NIOConcurrencyHelpers
import Testing

@testable import ChatClientCore

/// The reconnect backoff with time moved by hand: each attempt comes when its delay is up, not
/// before; a quit during a wait ends it.
@Suite("Client: reconnect timing")
struct ReconnectorTests {
    @Test("attempts at 0.5 s, then 1 s and 2 s later (no jitter); the third succeeds")
    func attemptsAtTheirTime() async throws {
        let clock = ManualClock()
        let attempts = NIOLockedValueBox<[Duration]>([])
        let delays = NIOLockedValueBox<[Duration]>([])
        let run = Task {
            var reconnector = Reconnector(backoff: Backoff(jitter: 0), clock: clock)
            return await reconnector.run(
                isQuitting: { false },
                waiting: { delay in delays.withLockedValue { $0.append(delay) } },
                attempt: { () -> Int? in
                    let count = attempts.withLockedValue { attempts in
                        attempts.append(clock.now.offset)
                        return attempts.count
                    }
                    return count == 3 ? count : nil
                })
        }
        // Move the clock 10 ms at a time, each time once the reconnector sleeps again. The hang
        // guard counts from the last step (350 steps on a busy machine can take minutes).
        var lastStep = ContinuousClock.now
        while attempts.withLockedValue({ $0.count }) < 3 {
            if clock.sleeping > 0 {
                clock.advance(by: .milliseconds(10))
                lastStep = ContinuousClock.now
            } else {
                guard ContinuousClock.now - lastStep < Patience.guardTime else {
                    throw TestFailure("the reconnector is stuck")
                }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        #expect(await run.value == 3)
        #expect(attempts.withLockedValue { $0 } == [.milliseconds(500), .milliseconds(1_500), .milliseconds(3_500)])
        #expect(delays.withLockedValue { $0 } == [.milliseconds(500), .seconds(1), .seconds(2)])
    }

    @Test("a quit during a wait ends it within one check, without an attempt")
    func quitWhileWaiting() async throws {
        let clock = ManualClock()
        let quitting = NIOLockedValueBox(false)
        let attempts = NIOLockedValueBox(0)
        let run = Task {
            var reconnector = Reconnector(backoff: Backoff(initial: .seconds(30), jitter: 0), clock: clock)
            return await reconnector.run(
                isQuitting: { quitting.withLockedValue { $0 } },
                waiting: { _ in },
                attempt: { () -> Int? in
                    attempts.withLockedValue { $0 += 1 }
                    return nil
                })
        }
        try await clock.waitForSleepers()
        clock.advance(by: .seconds(1))
        try await clock.waitForSleepers()
        quitting.withLockedValue { $0 = true }
        clock.advance(by: Reconnector<ManualClock>.quitCheck)
        #expect(await run.value == nil)
        #expect(clock.now.offset == .milliseconds(1_100))
        #expect(attempts.withLockedValue { $0 } == 0)
    }
}
