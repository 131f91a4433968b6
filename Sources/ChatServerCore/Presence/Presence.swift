public import ChatWire

/// Who is online: the seam between the connections and the directory of ids.
///
/// `Registry` (this process only) and `ClusterPresence` (every node of a cluster, through
/// Redis) implement it. Admission may be decided at once or later (`AdmissionAnswer`); every
/// other call answers at once from what this process knows, since routing calls them for every
/// burst.
public protocol Presence: AnyObject, Sendable {
    /// Starts what presence needs (a backbone); `changed` is called whenever the online set
    /// changes other than through `admit` and `remove` (another node's clients).
    func start(changed: @escaping @Sendable () -> Void) async throws
    /// Asks to admit `recipient` under its name.
    func admit(_ recipient: LocalRecipient) -> AdmissionAnswer
    /// Removes `recipient` if it is the one online under its name; `false` if it was not.
    @discardableResult
    func remove(_ recipient: LocalRecipient) -> Bool
    /// Where frames for the online client `name` go: its connection, or the node it is on.
    func recipient(named name: ChatName) -> (any Recipient)?
    /// A number that changes whenever the online set does; lookups may be cached while it holds.
    var generation: UInt64 { get }
    /// Where frames to `ALL` go: every client of this process, and every other node once.
    func broadcastTargets() -> [any Recipient]
    /// The clients connected to this process (list pushes and shutdown reach them).
    func localRecipients() -> [LocalRecipient]
    /// The ids of everyone online in the chat, sorted by byte order, with `local` the clients of
    /// this process as the caller took them (`localRecipients()`): a push then lists exactly the
    /// local clients it goes to, from one snapshot.
    func names(local: [LocalRecipient]) -> [ChatName]
    /// How many clients of this process are online.
    var count: Int { get }
    /// How many ids the online list holds (everyone's, on a cluster), without sorting them: what
    /// a push costs per client.
    var listedCount: Int { get }
    /// The bytes of the ids of this process's clients together: their mean length prices the
    /// first list push before one was encoded (`ListPushSchedule`).
    var localNameBytes: Int { get }
    /// A new bound on this process's clients (`--max-clients`, changed by a reload): clients
    /// online already stay, one more is refused while they are as many or more.
    func setCapacity(_ capacity: Int)
    /// Gives back what `start` took (the clients of this process are gone by then).
    func stop() async
    /// The backbone's state (a cluster's Redis); `nil` for a presence without one.
    var backbone: BackboneStatus? { get }
    /// The server listens at `address` (`HOST:PORT`, its first listener): a cluster node names it
    /// in its lease, for a second process started with its node id.
    func listening(at address: String)
    /// The lease a cluster node holds its ids under, checked before a connection handles what it
    /// read; `nil` for a presence whose ids cannot be taken away (one process).
    var fence: LeaseFence? { get }
}

extension Presence {
    /// No backbone.
    public var backbone: BackboneStatus? { nil }

    /// No lease.
    public var fence: LeaseFence? { nil }

    /// Nothing to tell.
    public func listening(at address: String) {}

    /// The ids of everyone online in the chat, sorted by byte order.
    public func names() -> [ChatName] {
        self.names(local: self.localRecipients())
    }
}
