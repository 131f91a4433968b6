import NIOCore

/// Sent through a connection's pipeline with a new online list: its edition, shared by every
/// connection (`LocalRecipient.offerList`).
struct OnlineListEvent: Sendable {
    let edition: ListEdition
}
