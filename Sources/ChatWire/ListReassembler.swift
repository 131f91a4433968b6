/// Rebuilds the online list from `List k/n` parts on the client side.
///
/// A list is yielded only when parts 1...n arrived in order with the same n. Anything else
/// (a gap, a repeat, a changed n) throws and drops the parts held; a part 1 always starts a
/// new list, so one bad sequence never spoils the next one.
public struct ListReassembler: Sendable {
    private var names: [ChatName] = []
    private var expectedIndex = 1
    private var expectedCount: Int?

    /// An empty reassembler, waiting for a part 1.
    public init() {}

    /// Adds the next part; returns the complete list after its last part, `nil` while waiting.
    public mutating func add(_ part: ListPart) throws(ListSequenceError) -> [ChatName]? {
        if part.index == 1 {
            let interrupted = self.expectedCount != nil
            self.reset()
            self.accept(part)
            if interrupted { throw .interrupted }
        } else {
            guard let count = self.expectedCount, part.index == self.expectedIndex, part.count == count else {
                let error = ListSequenceError.unexpected(
                    index: part.index, count: part.count, expectedIndex: self.expectedIndex,
                    expectedCount: self.expectedCount)
                self.reset()
                throw error
            }
            self.accept(part)
        }
        guard self.expectedIndex > part.count else { return nil }
        defer { self.reset() }
        return self.names
    }

    /// Whether some parts of a list are held, waiting for the rest.
    public var isWaiting: Bool { self.expectedCount != nil }

    private mutating func accept(_ part: ListPart) {
        self.names.append(contentsOf: part.names)
        self.expectedIndex = part.index + 1
        self.expectedCount = part.count
    }

    private mutating func reset() {
        self.names = []
        self.expectedIndex = 1
        self.expectedCount = nil
    }
}

/// Why a `List` part does not continue the list being reassembled.
public enum ListSequenceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A part 1 arrived before the previous list was complete (the new list was started).
    case interrupted
    /// The part is not the one expected.
    case unexpected(index: Int, count: Int, expectedIndex: Int, expectedCount: Int?)

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .interrupted: "a new list began before the previous one was complete"
        case .unexpected(let index, let count, let expectedIndex, let expectedCount):
            "list part \(index)/\(count) arrived, expected \(expectedIndex)/\(expectedCount.map(String.init) ?? "?")"
        }
    }
}
