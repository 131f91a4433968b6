import NIOCore
import Testing

@testable import ChatServerCore

/// Rule 9's timing with the time given by hand: a 20 ms quiet period, a 100 ms maximum delay
/// for cheap pushes, costly ones spaced by their writing time at the measured rate, one push in
/// flight at a time.
@Suite("Server: list push schedule")
struct ListPushScheduleTests {
    private let t0 = NIODeadline.uptimeNanoseconds(5_000_000_000)
    /// 100 MB a second assumed: a push to 1,000 clients (10 MB at 10 bytes a name) takes 100 ms.
    private let rate = 100_000_000.0

    private func schedule(ceiling: Int? = nil) -> ListPushSchedule {
        ListPushSchedule(
            quietPeriod: .milliseconds(20), maxDelay: .milliseconds(100), ceiling: ceiling, assumedRate: self.rate)
    }

    private func at(_ milliseconds: Int64) -> NIODeadline { self.t0 + .milliseconds(milliseconds) }

    /// What a simulated run did: when pushes started, and whether one started while another
    /// was still being written.
    private struct Run {
        var pushes: [Int64] = []
        var overlapped = false
    }

    /// `changes` changes every `every` ms from 0 to `until` ms with `clients(ms)` online; looks
    /// every millisecond up to `horizon`. Each push is written at `written` bytes a second
    /// (`nil`: at once), and its drain reported when done.
    private func run(
        every: Int64, changes: Int = 1, until: Int64, horizon: Int64, clients: (Int64) -> Int,
        changeClients: Int = 0, written: Double? = nil, schedule start: ListPushSchedule? = nil
    ) -> (run: Run, schedule: ListPushSchedule) {
        var schedule = start ?? self.schedule()
        var run = Run()
        var look: NIODeadline?
        var draining: (end: Int64, bytes: Int, started: NIODeadline)?
        for millisecond in 0...horizon {
            let now = self.at(millisecond)
            if let push = draining, millisecond >= push.end {
                draining = nil
                look = schedule.drained(at: now, written: push.bytes, in: now - push.started) ?? look
            }
            if millisecond <= until, millisecond % every == 0 {
                for _ in 0..<changes {
                    if let first = schedule.changed(at: now) { look = first }
                }
            }
            guard let due = look, now >= due else { continue }
            let online = clients(millisecond)
            switch schedule.timerFired(at: now, clients: online, changeClients: changeClients) {
            case .push:
                run.overlapped = run.overlapped || draining != nil
                run.pushes.append(millisecond)
                look = nil
                let bytes = schedule.cost(clients: online, changeClients: changeClients).full
                let duration = written.map { Int64(Double(bytes) / $0 * 1000) } ?? 0
                if duration == 0 {
                    look = schedule.drained(at: now, written: bytes, in: .zero)
                } else {
                    draining = (millisecond + duration, bytes, now)
                }
            case .wait(let until): look = until
            case .draining, .idle: look = nil
            }
        }
        return (run, schedule)
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
        #expect(schedule.drained(at: self.at(26), written: 1_000, in: .milliseconds(1)) == nil, "nothing waits")
        #expect(schedule.changed(at: self.at(30)) == self.at(50), "a new timer")
    }

    @Test("one push at a time: a change while a push is written waits for its drain, then for a doubled quiet")
    func oneInFlight() {
        var schedule = self.schedule()
        _ = schedule.changed(at: self.t0)
        #expect(schedule.timerFired(at: self.at(20), clients: 10) == .push)
        #expect(schedule.changed(at: self.at(30)) == nil, "the drain looks, not a timer")
        #expect(schedule.timerFired(at: self.at(60), clients: 10) == .draining)
        // The push was overtaken while it was written: the next waits for 40 ms of quiet.
        #expect(schedule.drained(at: self.at(70), written: 1_000, in: .milliseconds(50)) == self.at(110))
        #expect(schedule.overtaken == 1)
        #expect(schedule.timerFired(at: self.at(110), clients: 10) == .push)
        // It drained with nothing waiting: the quiet is 20 ms again.
        #expect(schedule.drained(at: self.at(111), written: 1_000, in: .milliseconds(1)) == nil)
        #expect(schedule.overtaken == 0)
        #expect(schedule.changed(at: self.at(200)) == self.at(220))
    }

    @Test("cheap pushes: changes every 10 ms are pushed 100 ms after the first, then after the next 100 ms")
    func maximumDelay() {
        #expect(self.run(every: 10, until: 300, horizon: 300, clients: { _ in 50 }).run.pushes == [100, 210])
    }

    @Test(
        "the cost estimate: clients² × bytes a name (the size a name from the last list); changes for those who asked")
    func cost() {
        var schedule = self.schedule()
        #expect(schedule.cost(clients: 1_000) == (10_000_000, 0))
        schedule.listEncoded(names: 1_000, bytes: 9_000)
        #expect(schedule.cost(clients: 2_000) == (36_000_000, 0))
        #expect(schedule.writeTime(of: 36_000_000) == .milliseconds(360))
        // Three changes pending; 1,500 of 2,000 clients receive change events (12 bytes each).
        for millisecond in 0..<3 { _ = schedule.changed(at: self.at(Int64(millisecond))) }
        #expect(schedule.cost(clients: 2_000, changeClients: 1_500) == (9_000_000, 54_000))
    }

    @Test("clients that receive changes do not hold a storm's pushes back: changes are never sent twice")
    func changeClientsNotHeldBack() {
        // 1,000 clients, all on change events, changes every 10 ms: pushed every 100 ms, as a
        // small set would be (their changes, 12 bytes each, are not wasted by the next push).
        let pushes = self.run(every: 10, until: 400, horizon: 400, clients: { _ in 1_000 }, changeClients: 1_000)
        #expect(pushes.run.pushes == [100, 210, 320])
    }

    @Test("a costly push waits while changes keep coming: up to six times its writing time")
    func stormDelay() {
        // 1,000 clients: 10 MB a push, 100 ms to write; changes every 10 ms never leave the set
        // quiet, so the push waits 600 ms, then the next one 600 ms more.
        #expect(self.run(every: 10, until: 1_500, horizon: 1_500, clients: { _ in 1_000 }).run.pushes == [600, 1_210])
        // Clients joining 10 a millisecond: the cost grows with the square; the push waits
        // until the storm is over, and quiet for 100 ms (a storm's pause is not its end), once.
        let storm = self.run(every: 1, changes: 10, until: 400, horizon: 2_000, clients: { 10 * Int(min($0, 400) + 1) })
        #expect(storm.run.pushes == [500])
    }

    @Test("a storm that pauses for 60 ms while a push worth more than 100 ms waits is pushed once")
    func stormPause() {
        // 10 joins a millisecond until 200 ms, nothing until 260, then again until 400.
        var schedule = self.schedule()
        var pushes: [Int64] = []
        var look: NIODeadline?
        var online = 0
        for millisecond in Int64(0)...1_000 {
            let now = self.at(millisecond)
            if millisecond <= 400, !(200..<260).contains(millisecond) {
                for _ in 0..<10 {
                    online += 1
                    if let first = schedule.changed(at: now) { look = first }
                }
            }
            guard let due = look, now >= due else { continue }
            switch schedule.timerFired(at: now, clients: online) {
            case .push:
                pushes.append(millisecond)
                look = schedule.drained(at: now, written: 0, in: .zero)
            case .wait(let until): look = until
            case .draining, .idle: look = nil
            }
        }
        #expect(pushes == [500], "a 20 ms quiet would have pushed at 220 too")
    }

    @Test("a storm's quiet is half its push's writing time: 20 ms at least, 100 ms at most")
    func stormQuietScales() {
        // At 100 MB a second and 10 bytes a name, a push to N clients takes N² / 10⁷ seconds.
        for (clients, quiet) in [(400, 20), (1_000, 50), (1_200, 72), (2_000, 100), (10_000, 100)] {
            var schedule = self.schedule()
            for _ in 0..<(clients / 8) { _ = schedule.changed(at: self.at(0)) }
            let full = schedule.cost(clients: clients).full
            #expect(schedule.stormQuiet(full: full, clients: clients) == .milliseconds(Int64(quiet)), "\(clients)")
        }
        // Not a storm (changes for fewer than an eighth of the clients): the quiet period.
        var calm = self.schedule()
        _ = calm.changed(at: self.at(0))
        #expect(calm.stormQuiet(full: calm.cost(clients: 2_000).full, clients: 2_000) == .milliseconds(20))
    }

    @Test("before a list was encoded, names are priced at the ids' mean length; then at the last list's bytes")
    func pricedByNames() {
        // At 400 MB a second.
        var schedule = ListPushSchedule(quietPeriod: .milliseconds(20), maxDelay: .milliseconds(100), assumedRate: 4e8)
        // Ids of 8 bytes: 9 bytes with their space, 225 in a 256-byte part behind the head.
        #expect(ListPushSchedule.bytesPerName(meanLength: 8) == 9.0 * 256 / 225)
        #expect(schedule.cost(clients: 2_000, meanNameLength: 4.45).full == Int(2_000.0 * 2_000 * 5.45 * 256 / 225))
        #expect(schedule.cost(clients: 2_000).full == 2_000 * 2_000 * 10, "nothing known: 10 bytes a name")
        // A storm of 2,000 short ids (`s0` to `s1999`): 62 ms to write, 31 ms of quiet; priced
        // at 10 bytes a name it would have waited 50 ms.
        for _ in 0..<1_000 { _ = schedule.changed(at: self.at(0)) }
        let full = schedule.cost(clients: 2_000, meanNameLength: 4.45).full
        #expect(schedule.stormQuiet(full: full, clients: 2_000) == .nanoseconds(Int64(Double(full) / 4e8 * 1e9) / 2))
        #expect(schedule.stormQuiet(full: schedule.cost(clients: 2_000).full, clients: 2_000) == .milliseconds(50))
        schedule.listEncoded(names: 2_000, bytes: 12_204)
        #expect(schedule.cost(clients: 2_000, meanNameLength: 8).full == 2_000 * 12_204, "the list's own size wins")
    }

    @Test("a writer at a tenth of the assumed speed: no push starts before the last one drained; the rate is learned")
    func slowWriter() {
        // 2,000 clients, a change every 10 ms for 3 s. Assumed: 400 MB/s, a push (40 MB)
        // written in 100 ms. The machine writes 40 MB/s: each push takes a second.
        let assumed = ListPushSchedule(quietPeriod: .milliseconds(20), maxDelay: .milliseconds(100), assumedRate: 4e8)
        let slow = self.run(
            every: 10, until: 3_000, horizon: 5_000, clients: { _ in 2_000 }, written: 4e7, schedule: assumed)
        #expect(!slow.run.overlapped, "no client is handed a new full list while the last is still queued for it")
        // The first push waits 600 ms (6 × 100 ms assumed) and drains at 1,600 ms, measured at
        // 40 MB/s: the next may wait 6 s, and goes once the changes stop (40 ms of quiet: the
        // first push was overtaken while it was written).
        #expect(slow.run.pushes == [600, 3_040])
        #expect(slow.schedule.measured && slow.schedule.rate == 4e7)
        // At the assumed speed: a push every 610 ms.
        let fast = self.run(
            every: 10, until: 3_000, horizon: 5_000, clients: { _ in 2_000 }, written: 4e8, schedule: assumed)
        #expect(!fast.run.overlapped)
        #expect(fast.run.pushes == [600, 1_210, 1_820, 2_430, 3_040])
    }

    @Test("small pushes are not measured: their drain is the wait for the loops, not writing")
    func smallPushesNotMeasured() {
        var schedule = self.schedule()
        _ = schedule.changed(at: self.t0)
        #expect(schedule.timerFired(at: self.at(20), clients: 100) == .push)
        _ = schedule.drained(at: self.at(70), written: 100_000, in: .milliseconds(50))
        #expect(!schedule.measured && schedule.rate == self.rate)
        _ = schedule.changed(at: self.at(100))
        #expect(schedule.timerFired(at: self.at(120), clients: 100) == .push)
        _ = schedule.drained(at: self.at(320), written: 40_000_000, in: .milliseconds(200))
        #expect(schedule.measured && schedule.rate == 200_000_000)
    }

    @Test("with a ceiling, after a push the next waits for its share of it, even when the set is quiet")
    func ceiling() {
        var schedule = self.schedule(ceiling: 100_000_000)
        _ = schedule.changed(at: self.t0)
        #expect(schedule.timerFired(at: self.at(20), clients: 2_000) == .push)  // 40 MB: 400 ms
        _ = schedule.drained(at: self.at(21), written: 0, in: .zero)
        #expect(schedule.changed(at: self.at(100)) == self.at(420))
        #expect(schedule.timerFired(at: self.at(420), clients: 2_000) == .push)
        // A small set is not held back: 50 clients cost 25 kB, a quarter of a millisecond.
        var small = self.schedule(ceiling: 100_000_000)
        _ = small.changed(at: self.t0)
        #expect(small.timerFired(at: self.at(20), clients: 50) == .push)
        _ = small.drained(at: self.at(20), written: 0, in: .zero)
        #expect(small.changed(at: self.at(21)) == self.at(41))
        // Without a ceiling, the next push may start as soon as the last drained.
        var open = self.schedule()
        _ = open.changed(at: self.t0)
        #expect(open.timerFired(at: self.at(20), clients: 2_000) == .push)
        _ = open.drained(at: self.at(21), written: 0, in: .zero)
        #expect(open.changed(at: self.at(100)) == self.at(120))
    }
}
