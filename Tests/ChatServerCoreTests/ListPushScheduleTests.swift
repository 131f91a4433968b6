import NIOCore
import Testing

@testable import ChatServerCore

/// Rule 9's timing (20 ms quiet period, 100 ms maximum delay) with the time given by hand.
@Suite("Server: list push schedule")
struct ListPushScheduleTests {
    private let t0 = NIODeadline.uptimeNanoseconds(5_000_000_000)

    private func schedule() -> ListPushSchedule {
        ListPushSchedule(quietPeriod: .milliseconds(20), maxDelay: .milliseconds(100))
    }

    @Test("one change is pushed once the set was quiet for 20 ms; only the first change starts the timer")
    func quietPeriod() {
        var schedule = self.schedule()
        #expect(schedule.timerFired(at: self.t0) == .idle)
        #expect(schedule.changed(at: self.t0) == self.t0 + .milliseconds(20))
        #expect(schedule.changed(at: self.t0 + .milliseconds(5)) == nil)
        #expect(schedule.timerFired(at: self.t0 + .milliseconds(20)) == .wait(until: self.t0 + .milliseconds(25)))
        #expect(schedule.timerFired(at: self.t0 + .milliseconds(25)) == .push)
        #expect(schedule.timerFired(at: self.t0 + .milliseconds(26)) == .idle)
        #expect(schedule.changed(at: self.t0 + .milliseconds(30)) == self.t0 + .milliseconds(50), "a new timer")
    }

    @Test("changes every 10 ms are pushed 100 ms after the first one, then again after the next 100 ms")
    func maximumDelay() {
        var schedule = self.schedule()
        var pushes: [Int64] = []
        var look: NIODeadline? = nil
        for millisecond in stride(from: 0, through: 300, by: 1) {
            let now = self.t0 + .milliseconds(Int64(millisecond))
            if millisecond % 10 == 0, let first = schedule.changed(at: now) { look = first }
            if let due = look, now >= due {
                switch schedule.timerFired(at: now) {
                case .push:
                    pushes.append(Int64(millisecond))
                    look = nil
                case .wait(let until): look = until
                case .idle: look = nil
                }
            }
        }
        #expect(pushes == [100, 210])
    }
}
