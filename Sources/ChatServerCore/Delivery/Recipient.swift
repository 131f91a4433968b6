public import NIOCore

/// Somewhere frames can be delivered to: the seam between the code that routes (forwarding,
/// broadcasts) and how a client is reached.
///
/// `LocalRecipient` is a client connected to this process; `ClusterNode` is another node of a
/// cluster, which hands the frames to its clients. `deliver` runs on `eventLoop`, so a
/// recipient needs no lock of its own.
public protocol Recipient: AnyObject, Sendable {
    /// The loop that `deliver` must be called on; deliveries are grouped by it.
    var eventLoop: any EventLoop { get }
    /// Writes complete chat frames (wire bytes, one or many) and flushes; `false` when the
    /// recipient has gone and nothing was written (the senders of its direct messages are then
    /// answered `Offline`).
    func deliver(_ frames: ByteBuffer) -> Bool
}
