/// The Redis keys and channels of one chat, all under its cluster name (docs/CLUSTER.md lists
/// them): `<name>:names` (hash: id → node), `<name>:version` (counter of changes),
/// `<name>:nodes` (set of node ids), `<name>:node:<node>` (a node's lease, a key with a TTL),
/// `<name>:epoch` (set once this Redis has held the chat: its absence means data was lost),
/// `<name>:grace` (while it lives, after a loss, no new id is taken: the nodes register theirs
/// again first), the channel `<name>:events` (changes of the names) and `<name>:inbox:<node>`
/// (frames for a node's clients).
struct ClusterKeys: Sendable {
    let names: String
    let version: String
    let nodes: String
    let epoch: String
    let grace: String
    /// What a node's lease key starts with (the node id follows).
    let leasePrefix: String
    let events: String
    private let inboxPrefix: String

    init(cluster: String) {
        self.names = "\(cluster):names"
        self.version = "\(cluster):version"
        self.nodes = "\(cluster):nodes"
        self.epoch = "\(cluster):epoch"
        self.grace = "\(cluster):grace"
        self.leasePrefix = "\(cluster):node:"
        self.events = "\(cluster):events"
        self.inboxPrefix = "\(cluster):inbox:"
    }

    /// The lease key of `node`.
    func lease(_ node: String) -> String { self.leasePrefix + node }

    /// The channel `node` reads its clients' frames from.
    func inbox(_ node: String) -> String { self.inboxPrefix + node }
}
