public import ChatWire
public import NIOCore

/// Who is online: the seam between the connections and the directory of ids.
///
/// `Registry` (in this process) is the first implementation; a cluster backbone is another.
/// Admission may be decided at once or later (`AdmissionAnswer`); every other call answers at
/// once from what this process knows, since routing calls them for every burst.
public protocol Presence: AnyObject, Sendable {
    /// Asks to admit `recipient` under its name.
    func admit(_ recipient: LocalRecipient) -> AdmissionAnswer
    /// Removes `recipient` if it is the one online under its name; `false` if it was not.
    @discardableResult
    func remove(_ recipient: any Recipient) -> Bool
    /// The online client `name`, wherever it is connected.
    func recipient(named name: ChatName) -> (any Recipient)?
    /// A number that changes whenever the online set does; lookups may be cached while it holds.
    var generation: UInt64 { get }
    /// Every online client, in no particular order.
    func allRecipients() -> [any Recipient]
    /// The clients connected to this process (shutdown reaches them).
    func localRecipients() -> [LocalRecipient]
    /// How many clients are online.
    var count: Int { get }
}

extension Presence {
    /// The ids of the online clients, sorted by byte order.
    public func names() -> [ChatName] {
        self.allRecipients().map(\.name).sorted()
    }
}

/// What presence says to a Connect.
public enum Admission: Equatable, Sendable {
    /// The client is online.
    case admitted
    /// Refused; the connection is told why and closed.
    case refused(CloseReason.Refusal)
}

/// A decision now, or one to come.
public enum AdmissionAnswer: Sendable {
    /// Decided at once (the in-process registry).
    case now(Admission)
    /// Decided later (a presence that asks another process); frames that arrive meanwhile are
    /// held, in order, and handled after the answer.
    case later(EventLoopFuture<Admission>)
}
