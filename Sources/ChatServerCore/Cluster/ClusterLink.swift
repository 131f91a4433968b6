import ChatWire
import Logging
import NIOCore
import RESP
import Synchronization

/// The part of a cluster's backbone that sends frames to other nodes: a connection to Redis
/// of its own for them (so that lease refreshes and claims never wait behind megabytes of
/// frames), this node's id and keys, and whether the link is up. Shared by `ClusterPresence`
/// and every `ClusterNode`; everything it sends goes out in the order it was asked for (one
/// connection), so frames keep their order per sender and receiver.
final class ClusterLink: Sendable {
    let nodeID: String
    let keys: ClusterKeys
    /// The loop of the backbone's connections, its timers, and every `ClusterNode`.
    let loop: any EventLoop
    /// The connection frames are published on.
    let publisher: RESPClient
    /// This node's clients, whose messages are answered `Offline` when they cannot be sent.
    let local: Registry
    /// Told of each message published.
    let observer: any ServerObserver
    let logger: Logger
    /// This process's lease token (`ClusterInstance`): Redis publishes a payload only while the
    /// lease it holds is this one's (`ClusterScripts.publish`).
    let token: String
    private let up = Atomic<Bool>(false)
    /// Bytes published and not yet acknowledged by Redis.
    private let inFlight = Atomic<Int>(0)

    /// The most bytes of frames that may wait for Redis: past it, frames for other nodes are
    /// answered `Offline` rather than queued without bound (Redis stalled, or the network).
    static let maxInFlight = 32 << 20

    init(
        nodeID: String, keys: ClusterKeys, loop: any EventLoop, publisher: RESPClient, local: Registry,
        token: String, observer: any ServerObserver = NoObserver(), logger: Logger
    ) {
        self.token = token
        self.observer = observer
        self.nodeID = nodeID
        self.keys = keys
        self.loop = loop
        self.publisher = publisher
        self.local = local
        self.logger = logger
    }

    /// Whether this node is registered with the cluster: frames for other nodes are accepted
    /// only then (otherwise their senders are answered `Offline` at once).
    var isUp: Bool {
        get { self.up.load(ordering: .relaxed) }
        set { self.up.store(newValue, ordering: .relaxed) }
    }

    /// Whether frames for other nodes can be taken now: up, and Redis keeping pace.
    var canSend: Bool { self.isUp && self.inFlight.load(ordering: .relaxed) < Self.maxInFlight }

    /// Publishes `payload` (`ClusterPayload`) to `node`'s inbox, through the fence: Redis
    /// publishes it only while this process's lease is there, so frames that reach Redis late
    /// (a link that healed after the lease, a node that woke from a pause) are dropped by Redis
    /// itself, never delivered under ids another node may hold by then. A payload that Redis refused,
    /// that could not be sent, or that no node was listening for is answered `Offline` to the
    /// senders of its direct messages. (Redis may still count a subscriber whose machine died
    /// until its connection times out: what it takes meanwhile is lost; docs/CLUSTER.md.)
    func publish(_ payload: ByteBuffer, to node: String) {
        let size = payload.readableBytes
        self.inFlight.add(size, ordering: .relaxed)
        self.publisher.send([
            "EVAL", .text(ClusterScripts.publish), "1", .text(self.keys.lease(self.nodeID)), .text(self.token),
            .text(self.keys.inbox(node)), .bytes(payload),
        ]).whenComplete { result in
            self.inFlight.subtract(size, ordering: .relaxed)
            switch result {
            case .success(.integer(let receivers)) where receivers > 0:
                self.observer.publishedToNodes(1)
                return
            case .success(.integer(-1)):
                self.logger.debug("not published: this node's lease is gone in Redis", metadata: ["node": "\(node)"])
            case .success:
                self.logger.debug("no node listens to the inbox", metadata: ["node": "\(node)"])
            case .failure(let error):
                self.logger.debug("cannot publish", metadata: ["node": "\(node)", "error": "\(error)"])
            }
            self.bounce(payload)
        }
    }

    /// Answers `Offline` to this node's clients for their direct messages in `payload`.
    private func bounce(_ payload: ByteBuffer) {
        guard var frames = ClusterPayload.read(payload)?.frames else { return }
        while let header = try? FrameDecoder.header(of: frames), let frame = frames.readSlice(length: header.length) {
            if header.destination != .all, let sender = self.local.local(named: header.source) {
                _ = sender.answerOffline(for: frame)
            }
        }
    }
}
