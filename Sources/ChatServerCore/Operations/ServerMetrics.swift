public import ChatWire
import CoreMetrics
public import Prometheus

/// The server's metrics (`--metrics-address`): a `ServerObserver` that counts what happens in
/// swift-metrics counters and gauges, backed by a Prometheus registry of its own (not the
/// process-wide `MetricsSystem`, so that servers in one process, as in the tests, keep theirs
/// apart). Names and meanings: docs/OPERATIONS.md.
///
/// Counting follows the observer's seam: traffic once per read burst and once per flush (the
/// `TrafficCountingHandler`, only in the pipeline when metrics are on), everything else as it
/// happens, on paths that are not per message. Counters are exact.
public final class ServerMetrics: ServerObserver {
    /// Where the metrics live; `/metrics` emits it.
    public let registry: PrometheusCollectorRegistry
    private let clientsOnline: CoreMetrics.Meter
    private let connectionsOpen: CoreMetrics.Meter
    private let forwarded: CoreMetrics.Counter
    private let broadcasts: CoreMetrics.Counter
    private let offlineReplies: CoreMetrics.Counter
    private let listPushes: CoreMetrics.Counter
    private let listBytes: CoreMetrics.Counter
    private let bytesReceived: CoreMetrics.Counter
    private let bytesSent: CoreMetrics.Counter
    private let connects: CoreMetrics.Counter
    private let refused: [String: CoreMetrics.Counter]
    private let retired: CoreMetrics.Counter
    private let slowConsumers: CoreMetrics.Counter
    private let throttledClients: CoreMetrics.Counter
    private let protocolErrors: CoreMetrics.Counter
    private let loginsFailed: CoreMetrics.Counter
    private let handshakeFailures: CoreMetrics.Counter
    private let cluster: ClusterMetrics?

    /// The cluster's metrics, made only for a node of one.
    private struct ClusterMetrics: Sendable {
        let nodes: CoreMetrics.Gauge
        let backboneUp: CoreMetrics.Gauge
        let latency: CoreMetrics.Timer
        let published: CoreMetrics.Counter
        let received: CoreMetrics.Counter
    }

    /// Every `reason` label of `chat255_connects_refused_total` (`CloseReason.refusalLabel`),
    /// each shown from the start at 0.
    static let refusalReasons = [
        "name_taken", "server_full", "bad_name", "auth_failed", "throttled", "certificate", "cluster_unavailable",
        "unavailable", "address_limit", "waiting_limit",
    ]

    /// Metrics for a server; with `cluster`, the cluster's as well.
    public init(cluster: Bool = false) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["chat255_cluster_backbone_latency_seconds"] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        ]
        func counter(_ name: String) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: "chat255_\(name)", factory: factory)
        }
        self.registry = registry
        self.clientsOnline = CoreMetrics.Meter(label: "chat255_clients_online", factory: factory)
        self.connectionsOpen = CoreMetrics.Meter(label: "chat255_connections_open", factory: factory)
        self.forwarded = counter("messages_forwarded_total")
        self.broadcasts = counter("broadcasts_total")
        self.offlineReplies = counter("offline_replies_total")
        self.listPushes = counter("list_pushes_total")
        self.listBytes = counter("list_bytes_total")
        self.bytesReceived = counter("bytes_received_total")
        self.bytesSent = counter("bytes_sent_total")
        self.connects = counter("connects_total")
        var refused: [String: CoreMetrics.Counter] = [:]
        for reason in Self.refusalReasons {
            refused[reason] = CoreMetrics.Counter(
                label: "chat255_connects_refused_total", dimensions: [("reason", reason)], factory: factory)
        }
        self.refused = refused
        self.retired = counter("clients_retired_total")
        self.slowConsumers = counter("slow_consumers_cut_total")
        self.throttledClients = counter("flood_throttled_total")
        self.protocolErrors = counter("protocol_errors_total")
        self.loginsFailed = counter("logins_failed_total")
        self.handshakeFailures = counter("tls_handshake_failures_total")
        self.cluster =
            cluster
            ? ClusterMetrics(
                nodes: CoreMetrics.Gauge(label: "chat255_cluster_nodes", factory: factory),
                backboneUp: CoreMetrics.Gauge(label: "chat255_cluster_backbone_up", factory: factory),
                latency: CoreMetrics.Timer(label: "chat255_cluster_backbone_latency_seconds", factory: factory),
                published: counter("cluster_published_total"),
                received: counter("cluster_received_total"))
            : nil
    }

    /// The metrics in Prometheus' text format, the backbone's gauges read now.
    public func exposition(backbone: BackboneStatus?) -> [UInt8] {
        if let cluster = self.cluster, let backbone {
            cluster.nodes.record(backbone.nodes)
            cluster.backboneUp.record(backbone.up ? 1 : 0)
        }
        return self.registry.emitToBuffer()
    }

    // MARK: ServerObserver

    public func joined(_ name: ChatName) {
        self.connects.increment()
        self.clientsOnline.increment()
    }

    public func left(_ name: ChatName, reason: CloseReason) {
        self.clientsOnline.decrement()
        self.closed(reason)
    }

    public func closedBeforeJoining(reason: CloseReason) {
        if let label = reason.refusalLabel { self.refused[label]?.increment() }
        self.closed(reason)
    }

    /// What any close counts, online or not.
    private func closed(_ reason: CloseReason) {
        switch reason {
        case .retired: self.retired.increment()
        case .slowConsumer: self.slowConsumers.increment()
        case .refused(.authenticationFailed): self.loginsFailed.increment()
        default: if reason.isProtocolError { self.protocolErrors.increment() }
        }
    }

    public func answeredOffline(_ count: Int) { self.offlineReplies.increment(by: count) }

    public func pushedList(recipients: Int, parts: Int) { self.listPushes.increment() }

    public func received(_ burst: ReadBurst) {
        if burst.forwarded > 0 { self.forwarded.increment(by: burst.forwarded) }
        if burst.broadcasts > 0 { self.broadcasts.increment(by: burst.broadcasts) }
    }

    public func connectionOpened() { self.connectionsOpen.increment() }

    public func connectionClosed() { self.connectionsOpen.decrement() }

    public func rejectedFrame() { self.protocolErrors.increment() }

    public func throttled() { self.throttledClients.increment() }

    public func handshakeFailed() { self.handshakeFailures.increment() }

    public func wroteList(bytes: Int) { self.listBytes.increment(by: bytes) }

    public var countsSocketTraffic: Bool { true }

    public func socketTraffic(received: Int, sent: Int) {
        if received > 0 { self.bytesReceived.increment(by: received) }
        if sent > 0 { self.bytesSent.increment(by: sent) }
    }

    public func publishedToNodes(_ count: Int) { self.cluster?.published.increment(by: count) }

    public func receivedFromNode() { self.cluster?.received.increment() }

    public func backboneRoundTrip(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.cluster?.latency.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
