import NIOCore

/// Sent through a connection's pipeline with a new online list: its edition, shared by every
/// connection (`LocalRecipient.offerList`), and the push's drain, told when this connection has
/// nothing of it left to write.
struct OnlineListEvent: Sendable {
    let edition: ListEdition
    let drain: ListDrain
}
