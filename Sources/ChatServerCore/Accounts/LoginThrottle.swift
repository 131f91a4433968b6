import NIOCore

/// Failed logins per source address: after `limit` failures within `window`, the address gets
/// no more tries until the oldest of them is `window` old (5 in 60 s by default). A value over
/// the server's clock.
struct LoginThrottle: Sendable {
    let limit: Int
    let window: TimeAmount
    private var failures: [String: [NIODeadline]] = [:]

    init(limit: Int = 5, window: TimeAmount = .seconds(60)) {
        self.limit = limit
        self.window = window
    }

    /// Whether `address` may try at `now`.
    mutating func mayTry(_ address: String, at now: NIODeadline) -> Bool {
        self.forgetOld(address, at: now)
        return (self.failures[address]?.count ?? 0) < self.limit
    }

    /// `address` failed at `now`; returns whether it is now blocked.
    mutating func failed(_ address: String, at now: NIODeadline) -> Bool {
        self.forgetOld(address, at: now)
        self.failures[address, default: []].append(now)
        if self.failures.count > 4096 {
            self.failures = self.failures.filter { $0.value.contains { now - $0 < self.window } }
        }
        return (self.failures[address]?.count ?? 0) >= self.limit
    }

    private mutating func forgetOld(_ address: String, at now: NIODeadline) {
        guard var times = self.failures[address] else { return }
        times.removeAll { now - $0 >= self.window }
        self.failures[address] = times.isEmpty ? nil : times
    }
}
