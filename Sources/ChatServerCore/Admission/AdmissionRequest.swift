import ChatWire
import NIOCore

/// A `Connect` that passed the protocol's rules, as the admission checks see it: the id, the
/// password it carried, where it comes from, and what the transport proved about the peer.
struct AdmissionRequest {
    /// The id asked for.
    let id: ChatName
    /// The password after the id (`Connect <id> <password>`), if any.
    let password: [UInt8]?
    /// The peer's address (`nil` on a channel without one, as in tests).
    let peer: SocketAddress?
    /// The names a TLS client certificate vouched for; `nil` without one.
    let identity: ClientIdentity?
}
