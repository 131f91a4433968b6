public import ChatWire
public import NIOCore

/// Someone frames can be delivered to: the seam between the code that routes (forwarding,
/// broadcasts, list pushes, the `Offline` bounce) and how a client is reached.
///
/// `LocalRecipient` is a client connected to this process; a cluster adds one for a client of
/// another node. Every method but `name` and `eventLoop` runs on `eventLoop`, so a recipient
/// needs no lock of its own.
public protocol Recipient: AnyObject, Sendable {
    /// The client's id.
    var name: ChatName { get }
    /// The loop that calls to this recipient must be made on; deliveries are grouped by it.
    var eventLoop: any EventLoop { get }
    /// Writes complete chat frames (wire bytes, one or many) and flushes; `false` when the
    /// recipient has gone and nothing was written (the sender is then answered `Offline`).
    func deliver(_ frames: ByteBuffer) -> Bool
    /// Sends frames from `-SERVER-` with these bodies (each ending in NUL) to the client.
    func sendFromServer(_ bodies: [ByteBuffer])
    /// Offers the latest online list (an edition shared by every recipient).
    func offerList(_ edition: ListEdition)
}
