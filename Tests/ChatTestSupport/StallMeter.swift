import Foundation
import Synchronization

/// How long the machine kept this process from running, measured while a test waits on real
/// time: a thread of its own asks to sleep 5 ms at a time and adds up what it overslept beyond
/// 2 ms. A test whose bound is wall-clock time (a real process's lease) asserts on the time
/// elapsed less the time lost: exact on an idle machine, and on a busy one (a full suite on two
/// cores) it does not count against the code the seconds the machine gave to something else.
public final class StallMeter: Sendable {
    private let lostNanoseconds = Atomic<Int64>(0)
    private let running = Atomic<Bool>(true)

    /// Starts measuring.
    public init() {
        let thread = Thread { [self] in
            var last = DispatchTime.now().uptimeNanoseconds
            while self.running.load(ordering: .relaxed) {
                usleep(5_000)
                let now = DispatchTime.now().uptimeNanoseconds
                let over = Int64(now - last) - 5_000_000 - 2_000_000
                if over > 0 { self.lostNanoseconds.add(over, ordering: .relaxed) }
                last = now
            }
        }
        thread.start()
    }

    /// Stops measuring; returns the time lost.
    @discardableResult
    public func stop() -> Duration {
        self.running.store(false, ordering: .relaxed)
        return self.lost
    }

    /// The time lost so far.
    public var lost: Duration { .nanoseconds(self.lostNanoseconds.load(ordering: .relaxed)) }

    deinit { self.running.store(false, ordering: .relaxed) }
}
