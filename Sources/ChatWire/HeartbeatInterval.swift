/// Formats and parses the heartbeat interval of `Connected <interval>`: decimal seconds,
/// a fraction allowed (`5`, `0.25`), always positive, at most a day.
public enum HeartbeatInterval {
    /// The longest interval accepted: one day.
    public static let maximum = Duration.seconds(86_400)

    /// `interval` as decimal seconds with no trailing zeros (`5`, `0.25`, `1.5`); nanosecond precision.
    public static func format(_ interval: Duration) -> String {
        let (seconds, attoseconds) = interval.components
        let nanoseconds = attoseconds / 1_000_000_000
        guard nanoseconds > 0 else { return String(seconds) }
        var fraction = String(nanoseconds)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(seconds).\(fraction)"
    }

    /// `interval` alone, right-padded with spaces to 8 characters (`5       `): the answer to a
    /// bare `Connect`, for clients that read it as a number (docs/PROTOCOL.md, "Compatibility").
    public static func padded(_ interval: Duration) -> String {
        let text = Self.format(interval)
        return text + String(repeating: " ", count: max(0, Wire.nameLength - text.utf8.count))
    }

    /// Parses decimal seconds: digits, optionally `.` and up to 9 more digits; positive, at most a day.
    public static func parse(_ text: some StringProtocol) -> Duration? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 6,
            whole.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int64(whole)
        else { return nil }
        var nanoseconds: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 9, fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int64(fraction + String(repeating: "0", count: 9 - fraction.count))
            else { return nil }
            nanoseconds = value
        }
        let interval = Duration.seconds(seconds) + .nanoseconds(nanoseconds)
        guard interval > .zero, interval <= Self.maximum else { return nil }
        return interval
    }
}
