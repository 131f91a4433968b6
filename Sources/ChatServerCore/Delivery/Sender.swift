public import NIOCore

/// Who sent frames that are being delivered: answered `Offline` for the direct messages that
/// found nobody (`LocalRecipient` for its own client, `ClusterNode` for a client of that node).
public protocol Sender: AnyObject, Sendable {
    /// Answers `Offline <destination>` to the source of each direct message among `frames`
    /// (complete frames); returns how many answers went out. Callable on any loop.
    func answerOffline(for frames: ByteBuffer) -> Int
}
