public import NIOCore

/// One `Changed <from> <to> <k>/<n> <+name|-name> ...` body: part `index` of `count` of what
/// changed in the online set from version `from` to version `to` (docs/PROTOCOL.md, "Change
/// events"). A client at version `from` applies every part, then is at version `to`.
public struct ChangesPart: Equatable, Sendable {
    /// The version the changes apply to.
    public let from: UInt64
    /// The version they lead to.
    public let to: UInt64
    /// This part's number, 1...count.
    public let index: Int
    /// How many parts the changes take.
    public let count: Int
    /// The changes in this part: joins and leaves, each name at most once over all parts.
    public let changes: [ListChange]

    /// A part; `1 <= index <= count` is the caller's promise.
    public init(from: UInt64, to: UInt64, index: Int, count: Int, changes: [ListChange]) {
        precondition(1 <= index && index <= count, "part \(index) of \(count)")
        self.from = from
        self.to = to
        self.index = index
        self.count = count
        self.changes = changes
    }

    /// The body, e.g. `Changed 7 8 1/1 +carol -bob`.
    public var body: String {
        var buffer = ByteBuffer()
        self.writeBody(to: &buffer)
        return String(buffer: buffer)
    }

    /// Appends the body to `buffer` (no NUL).
    public func writeBody(to buffer: inout ByteBuffer) {
        buffer.writeString("Changed \(self.from) \(self.to) \(self.index)/\(self.count)")
        for change in self.changes {
            buffer.writeInteger(Wire.padding)
            switch change {
            case .joined(let name):
                buffer.writeInteger(UInt8(ascii: "+"))
                buffer.writeBytes(name.trimmedBytes)
            case .left(let name):
                buffer.writeInteger(UInt8(ascii: "-"))
                buffer.writeBytes(name.trimmedBytes)
            }
        }
    }

    /// The changes from `from` to `to` in as few parts as fit 239-byte bodies.
    public static func parts(from: UInt64, to: UInt64, changes: [ListChange]) -> [ChangesPart] {
        let head = "Changed \(from) \(to) ".utf8.count
        let groups = PartPacking.groups(changes, headLength: { head + 2 * $0 + 1 }, cost: \.length)
        return groups.enumerated().map {
            ChangesPart(from: from, to: to, index: $0.offset + 1, count: groups.count, changes: $0.element)
        }
    }

    /// Parses the argument of `Changed` (the text after `Changed `).
    static func parse(argument: ArraySlice<UInt8>) throws(ControlError) -> ChangesPart {
        func invalid(_ reason: String) -> ControlError { .invalidArgument(command: "Changed", reason: reason) }
        let fields = argument.split(separator: Wire.padding, omittingEmptySubsequences: false)
        guard fields.count >= 3, let from = Version.parse(fields[0]), let to = Version.parse(fields[1]), from < to
        else { throw invalid("not two versions, the first below the second") }
        guard let (index, count) = PartPacking.partNumber(fields[2]) else { throw PartPacking.badPartNumber("Changed") }
        var changes: [ListChange] = []
        changes.reserveCapacity(fields.count - 3)
        for field in fields.dropFirst(3) {
            guard let sign = field.first else { throw invalid("an empty change") }
            let name: ChatName
            do {
                name = try ChatName(validatingBytes: field.dropFirst())
            } catch {
                throw invalid(error.description)
            }
            switch sign {
            case UInt8(ascii: "+"): changes.append(.joined(name))
            case UInt8(ascii: "-"): changes.append(.left(name))
            default: throw invalid("a change is +name or -name")
            }
        }
        return ChangesPart(from: from, to: to, index: index, count: count, changes: changes)
    }
}
