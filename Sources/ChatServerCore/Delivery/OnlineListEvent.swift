import NIOCore

/// Sent through a connection's pipeline with a new online list: the encoded part bodies, shared
/// by every connection (`LocalRecipient.offerList`).
struct OnlineListEvent: Sendable {
    let parts: [ByteBuffer]
}
