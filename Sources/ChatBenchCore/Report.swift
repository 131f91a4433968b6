import Foundation
import NIOConcurrencyHelpers

/// Results as a table for people or JSON for machines.
public enum Report {
    /// One result as pretty-printed JSON.
    public static func json(_ result: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(result) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A message benchmark's result as a table.
    public static func table(_ result: TrafficResult) -> String {
        let latency = result.latency
        return """
            \(result.workload): \(result.clients) clients, \(result.size)-byte bodies, \(Self.number(result.seconds)) s measured
              delivered     \(Self.number(result.messagesPerSecond)) msgs/s   \(Self.number(result.megabytesPerSecond)) MB/s
              latency µs    p50 \(Self.number(latency.p50))   p90 \(Self.number(latency.p90))   p99 \(Self.number(latency.p99))   p99.9 \(Self.number(latency.p999))   max \(Self.number(latency.max))
              messages      sent \(result.sent)   expected deliveries \(result.expected)   delivered \(result.delivered)
              problems      lost \(result.lost)   duplicated or reordered \(result.misordered)   corrupted \(result.corrupted)   offline \(result.offline)   errors \(result.errors)
            """
    }

    /// A `connections` result as a table.
    public static func table(_ result: ConnectionsResult) -> String {
        var text = """
            connections: \(result.connected) of \(result.clients) clients connected in \(Self.number(result.connectSeconds)) s, held \(Self.number(result.holdSeconds)) s, errors \(result.errors)
            """
        if let before = result.serverRSSBefore, let after = result.serverRSSAfter, result.connected > 0 {
            let perClient = Double(after - before) / Double(result.connected)
            text += "\n  server RSS   \(before) kB before, \(after) kB after: \(Self.number(perClient)) kB per client"
        }
        return text
    }

    /// A `joinstorm` result as a table.
    public static func table(_ result: JoinStormResult) -> String {
        """
        joinstorm: \(result.clients) clients hold the full list after \(Self.number(result.convergenceSeconds * 1000)) ms
          list bytes   \(result.listBytes) received, amplification \(Self.number(result.amplification)) (1.0 = one full list per client), errors \(result.errors)
        """
    }

    static func number(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }
}

/// Turns running totals into a progress line with the current rate.
public final class ProgressMeter: Sendable {
    private let last = NIOLockedValueBox<(seconds: Double, delivered: UInt64)>((0, 0))

    /// A meter starting at zero.
    public init() {}

    /// The line for `delivered` deliveries after `elapsed`.
    public func line(elapsed: Duration, delivered: UInt64) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = self.last.withLockedValue { last -> Double in
            defer { last = (seconds, delivered) }
            let span = seconds - last.seconds
            return span > 0 ? Double(delivered - last.delivered) / span : 0
        }
        return String(format: "%6.1f s  %12.0f msgs/s  %12llu delivered", seconds, rate, delivered)
    }
}
