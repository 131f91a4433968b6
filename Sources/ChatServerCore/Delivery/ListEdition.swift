public import ChatWire
import NIOConcurrencyHelpers
public import NIOCore

/// One pushed version of the online list, encoded once and shared by every connection: as the
/// full `List k/n` parts clients receive by default, and, for clients that asked for change
/// events (`List changes`), as the `Changed` parts from the previous version, or the whole list
/// as `Online <version>` parts (encoded the first time a client needs it).
public final class ListEdition: Sendable {
    /// The version of the online set; it grows by one with every push that changed something.
    public let version: UInt64
    /// The version the `Changed` parts lead from (the previous edition's).
    public let previousVersion: UInt64
    /// Everyone online, sorted by byte order.
    public let names: [ChatName]
    /// The `List k/n` bodies (each ending in NUL).
    public let listParts: [ByteBuffer]
    /// The bytes of `listParts`: what the whole list weighs.
    public let listBytes: Int
    /// The `Changed <previous> <version> k/n` bodies; empty when nothing changed.
    public let changeParts: [ByteBuffer]
    private let onlineParts = NIOLockedValueBox<[ByteBuffer]?>(nil)

    /// The first edition: nobody online, version 0.
    public convenience init() {
        self.init(version: 0, previousVersion: 0, names: [], listParts: ServerBodies.list(sorted: []), changes: [])
    }

    /// An edition of `names` (sorted) at `version`, with the `changes` from `previousVersion`.
    init(version: UInt64, previousVersion: UInt64, names: [ChatName], listParts: [ByteBuffer], changes: [ListChange]) {
        self.version = version
        self.previousVersion = previousVersion
        self.names = names
        self.listParts = listParts
        self.listBytes = listParts.reduce(0) { $0 + $1.readableBytes }
        self.changeParts =
            changes.isEmpty
            ? [] : ServerBodies.bodies(ChangesPart.parts(from: previousVersion, to: version, changes: changes))
    }

    /// The next edition: `names` (sorted) and their `List k/n` parts, with the changes from this
    /// one; this very edition if nothing changed (so that a client that has it is not sent the
    /// same list again, and its `Online` parts are not encoded twice).
    func next(names: [ChatName], listParts: [ByteBuffer]) -> ListEdition {
        let changes = Self.changes(from: self.names, to: names)
        guard !changes.isEmpty else { return self }
        return ListEdition(
            version: self.version + 1, previousVersion: self.version, names: names, listParts: listParts,
            changes: changes)
    }

    /// Whether `name` is in this list (a binary search of the sorted names).
    func holds(_ name: ChatName) -> Bool {
        var low = 0
        var high = self.names.count
        while low < high {
            let middle = (low + high) / 2
            if self.names[middle] < name { low = middle + 1 } else { high = middle }
        }
        return low < self.names.count && self.names[low] == name
    }

    /// The whole list as `Online <version> k/n` bodies, encoded once.
    public func fullParts() -> [ByteBuffer] {
        self.onlineParts.withLockedValue { parts in
            if let parts { return parts }
            let encoded = ServerBodies.bodies(VersionedListPart.parts(ofSorted: self.names, version: self.version))
            parts = encoded
            return encoded
        }
    }

    /// Who left and who joined between two sorted lists, in byte order: one pass over both.
    static func changes(from old: [ChatName], to new: [ChatName]) -> [ListChange] {
        var changes: [ListChange] = []
        var (i, j) = (0, 0)
        while i < old.count || j < new.count {
            if j == new.count || (i < old.count && old[i] < new[j]) {
                changes.append(.left(old[i]))
                i += 1
            } else if i == old.count || new[j] < old[i] {
                changes.append(.joined(new[j]))
                j += 1
            } else {
                i += 1
                j += 1
            }
        }
        return changes
    }
}
