/// What the operations endpoint reads at each request: the metrics' text (`nil`: metrics are
/// off) and why the server is not ready (`nil`: ready).
struct OperationsStatus: Sendable {
    /// The metrics in Prometheus' text format, read now.
    let metrics: @Sendable () -> [UInt8]?
    /// Why the server does not take clients now: draining, a backbone that is down or behind.
    let readiness: @Sendable () -> String?
}
