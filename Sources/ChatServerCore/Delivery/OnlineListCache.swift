import ChatWire
import NIOConcurrencyHelpers
import NIOCore

/// The online list's `List k/n` bodies, encoded once per generation of presence: a `List`
/// request and a push while nothing changed reuse the same buffers, so that no client can make
/// the server sort and encode every name again by asking (docs/PROTOCOL.md, rule 5).
///
/// Synchronisation: one lock around the last encoding; the sort and encoding run outside it.
final class OnlineListCache: Sendable {
    private let last = NIOLockedValueBox<(generation: UInt64, names: [ChatName], parts: [ByteBuffer])?>(nil)

    /// The bodies of the current list, and its names sorted by byte order. `snapshot`: this
    /// process's clients, when the caller took them already (one snapshot for both), with the
    /// generation it read before taking them.
    func current(
        of presence: any Presence, snapshot: (generation: UInt64, local: [LocalRecipient])? = nil
    ) -> (names: [ChatName], parts: [ByteBuffer]) {
        // The generation is read before the snapshot: a change in between makes the bodies
        // newer than their generation, never older, and a later generation never matches them.
        let generation = snapshot?.generation ?? presence.generation
        if let cached = self.last.withLockedValue({ $0 }), cached.generation == generation {
            return (cached.names, cached.parts)
        }
        let names = presence.names(local: snapshot?.local ?? presence.localRecipients())
        let parts = ServerBodies.list(sorted: names)
        self.last.withLockedValue { last in
            if (last?.generation ?? 0) <= generation { last = (generation, names, parts) }
        }
        return (names, parts)
    }
}
