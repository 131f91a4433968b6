import NIOCore

/// Failed logins per source address: after `limit` failures within `window`, the address gets
/// no more tries until the oldest of them is `window` old (5 in 60 s by default). A value over
/// the server's clock.
///
/// A try counts as a failure from the moment it starts (`start`), and is taken back when the
/// password proves right (`succeeded`): so checks running side by side on many connections
/// from one address cannot add up to more than `limit` guesses.
struct LoginThrottle: Sendable {
    let limit: Int
    let window: TimeAmount
    private var failures: [String: [NIODeadline]] = [:]
    /// The size after the last sweep of addresses with nothing left to remember: the next sweep
    /// waits until the table has doubled (so that accepting stays cheap).
    private var sweptAt = 4096

    init(limit: Int = 5, window: TimeAmount = .seconds(60)) {
        self.limit = limit
        self.window = window
    }

    /// Whether `address` may try at `now`; if so, the try counts as a failure until `succeeded`.
    mutating func start(_ address: String, at now: NIODeadline) -> Bool {
        self.forgetOld(address, at: now)
        guard (self.failures[address]?.count ?? 0) < self.limit else { return false }
        self.failures[address, default: []].append(now)
        if self.failures.count > 2 * self.sweptAt {
            self.failures = self.failures.filter { $0.value.contains { now - $0 < self.window } }
            self.sweptAt = max(4096, self.failures.count)
        }
        return true
    }

    /// The try `address` started at `startedAt` had the right password: it is not a failure.
    mutating func succeeded(_ address: String, startedAt: NIODeadline) {
        guard var times = self.failures[address], let index = times.firstIndex(of: startedAt) else { return }
        times.remove(at: index)
        self.failures[address] = times.isEmpty ? nil : times
    }

    /// Whether `address` is blocked at `now` (its failures reached the limit).
    func isBlocked(_ address: String, at now: NIODeadline) -> Bool {
        (self.failures[address]?.filter { now - $0 < self.window }.count ?? 0) >= self.limit
    }

    private mutating func forgetOld(_ address: String, at now: NIODeadline) {
        guard var times = self.failures[address] else { return }
        times.removeAll { now - $0 >= self.window }
        self.failures[address] = times.isEmpty ? nil : times
    }
}
