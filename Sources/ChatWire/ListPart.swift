public import NIOCore

/// One `List <k>/<n> <name> ...` body: part `index` of `count` of the online list.
public struct ListPart: Equatable, Sendable {
    /// This part's number, 1...count.
    public let index: Int
    /// How many parts the list has.
    public let count: Int
    /// The names in this part, in the list's order.
    public let names: [ChatName]

    /// A part; `1 <= index <= count` is the caller's promise.
    public init(index: Int, count: Int, names: [ChatName]) {
        precondition(1 <= index && index <= count, "part \(index) of \(count)")
        self.index = index
        self.count = count
        self.names = names
    }

    /// The body, e.g. `List 1/2 alice bob`.
    public var body: String {
        (["List \(self.index)/\(self.count)"] + self.names.map(\.text)).joined(separator: " ")
    }

    /// Appends the body to `buffer` (no NUL); `word` is what comes before `k/n`: `List`, or
    /// `Online <version>` for a versioned list (`VersionedListPart`).
    public func writeBody(to buffer: inout ByteBuffer, word: String = "List") {
        buffer.writeString("\(word) \(self.index)/\(self.count)")
        for name in self.names {
            buffer.writeInteger(Wire.padding)
            buffer.writeBytes(name.trimmedBytes)
        }
    }

    /// Parses the argument of `List` (the text after `List `): `k/n` then names, single spaces.
    static func parse(argument: ArraySlice<UInt8>, command: String = "List") throws(ControlError) -> ListPart {
        func invalid(_ reason: String) -> ControlError { .invalidArgument(command: command, reason: reason) }
        let fields = argument.split(separator: Wire.padding, omittingEmptySubsequences: false)
        guard let position = fields.first else { throw invalid("no part number") }
        guard let (index, count) = PartPacking.partNumber(position) else { throw PartPacking.badPartNumber(command) }
        var names: [ChatName] = []
        names.reserveCapacity(fields.count - 1)
        for field in fields.dropFirst() {
            do {
                names.append(try ChatName(validatingBytes: field))
            } catch {
                throw invalid(error.description)
            }
        }
        return ListPart(index: index, count: count, names: names)
    }
}
