import NIOCore
import Testing

@testable import ChatServerCore

/// Rule 9's timing with the time given by hand: a 20 ms quiet period, a 100 ms maximum delay
/// for cheap pushes, and a budget of bytes a second that spaces costly ones.
@Suite("Server: list push schedule")
struct ListPushScheduleTests {
    private let t0 = NIODeadline.uptimeNanoseconds(5_000_000_000)
    /// 100 MB a second: a push to 1,000 clients (10 MB at 10 bytes a name) takes 100 ms of it.
    private let budget = 100_000_000

    private func schedule() -> ListPushSchedule {
        ListPushSchedule(quietPeriod: .milliseconds(20), maxDelay: .milliseconds(100), budget: self.budget)
    }

    private func at(_ milliseconds: Int64) -> NIODeadline { self.t0 + .milliseconds(milliseconds) }

    /// Changes every `every` ms from 0 to `until` ms with `clients(ms)` online; returns the
    /// milliseconds at which pushes happened, looking every millisecond up to `horizon`.
    private func run(
        every: Int64, until: Int64, horizon: Int64, clients: (Int64) -> Int, changeClients: Int = 0,
        schedule start: ListPushSchedule? = nil
    ) -> [Int64] {
        var schedule = start ?? self.schedule()
        var pushes: [Int64] = []
        var look: NIODeadline?
        for millisecond in 0...horizon {
            let now = self.at(millisecond)
            if millisecond <= until, millisecond % every == 0, let first = schedule.changed(at: now) { look = first }
            if let due = look, now >= due {
                switch schedule.timerFired(at: now, clients: clients(millisecond), changeClients: changeClients) {
                case .push:
                    pushes.append(millisecond)
                    look = nil
                case .wait(let until): look = until
                case .idle: look = nil
                }
            }
        }
        return pushes
    }

    @Test("one change is pushed once the set was quiet for 20 ms; only the first change starts the timer")
    func quietPeriod() {
        var schedule = self.schedule()
        #expect(schedule.timerFired(at: self.t0, clients: 10) == .idle)
        #expect(schedule.changed(at: self.t0) == self.at(20))
        #expect(schedule.changed(at: self.at(5)) == nil)
        #expect(schedule.timerFired(at: self.at(20), clients: 10) == .wait(until: self.at(25)))
        #expect(schedule.timerFired(at: self.at(25), clients: 10) == .push)
        #expect(schedule.timerFired(at: self.at(26), clients: 10) == .idle)
        #expect(schedule.changed(at: self.at(30)) == self.at(50), "a new timer")
    }

    @Test("cheap pushes: changes every 10 ms are pushed 100 ms after the first, then after the next 100 ms")
    func maximumDelay() {
        #expect(self.run(every: 10, until: 300, horizon: 300, clients: { _ in 50 }) == [100, 210])
    }

    @Test(
        "the cost estimate: clients² × bytes a name (the size a name from the last list); changes for those who asked")
    func cost() {
        var schedule = self.schedule()
        #expect(schedule.cost(clients: 1_000) == (10_000_000, 0))
        schedule.listEncoded(names: 1_000, bytes: 9_000)
        #expect(schedule.cost(clients: 2_000) == (36_000_000, 0))
        #expect(schedule.share(of: 36_000_000) == .milliseconds(360))
        // Three changes pending; 1,500 of 2,000 clients receive change events (12 bytes each).
        for millisecond in 0..<3 { _ = schedule.changed(at: self.at(Int64(millisecond))) }
        #expect(schedule.cost(clients: 2_000, changeClients: 1_500) == (9_000_000, 54_000))
    }

    @Test("clients that receive changes do not hold a storm's pushes back: changes are never sent twice")
    func changeClientsNotHeldBack() {
        // 1,000 clients, all on change events, changes every 10 ms: pushed every 100 ms, as a
        // small set would be (their cost, 12 bytes a change each, counts against the budget only).
        let pushes = self.run(every: 10, until: 400, horizon: 400, clients: { _ in 1_000 }, changeClients: 1_000)
        #expect(pushes == [100, 210, 320])
    }

    @Test("a costly push waits while changes keep coming: up to six times its share of the budget")
    func stormDelay() {
        // 1,000 clients: 10 MB a push, 100 ms of the budget; changes every 10 ms never leave
        // the set quiet, so the push waits 600 ms, then the next one 600 ms more.
        #expect(self.run(every: 10, until: 1_500, horizon: 1_500, clients: { _ in 1_000 }) == [600, 1_210])
        // Clients joining 10 a millisecond: the cost grows with the square, and the push waits
        // until the storm is over and quiet for 20 ms, once.
        let storm = self.run(every: 1, until: 400, horizon: 2_000, clients: { 10 * Int(min($0, 400)) })
        #expect(storm == [420])
    }

    @Test("after a push, the next waits for its share of the budget, even when the set is quiet")
    func cooldown() {
        var schedule = self.schedule()
        _ = schedule.changed(at: self.t0)
        #expect(schedule.timerFired(at: self.at(20), clients: 2_000) == .push)  // 40 MB: 400 ms
        #expect(schedule.changed(at: self.at(100)) == self.at(420))
        #expect(schedule.timerFired(at: self.at(420), clients: 2_000) == .push)
        // A small set is not held back: 50 clients cost 25 kB, a quarter of a millisecond.
        var small = self.schedule()
        _ = small.changed(at: self.t0)
        #expect(small.timerFired(at: self.at(20), clients: 50) == .push)
        #expect(small.changed(at: self.at(21)) == self.at(41))
    }
}
