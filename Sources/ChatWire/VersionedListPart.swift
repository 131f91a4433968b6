public import NIOCore

/// One `Online <version> <k>/<n> <name> ...` body: part of the whole online list as it was at
/// `version`, sent to a client that asked for changes (`List changes`) instead of full lists
/// (docs/PROTOCOL.md, "Change events").
public struct VersionedListPart: Equatable, Sendable {
    /// The version of the online set this list is.
    public let version: UInt64
    /// The part: its number, the number of parts, its names.
    public let part: ListPart

    /// A part of the list at `version`.
    public init(version: UInt64, part: ListPart) {
        self.version = version
        self.part = part
    }

    /// The word before `k/n` in each body: `Online <version>`.
    static func word(version: UInt64) -> String { "Online \(version)" }

    /// The body, e.g. `Online 7 1/1 alice bob`.
    public var body: String {
        var buffer = ByteBuffer()
        self.writeBody(to: &buffer)
        return String(buffer: buffer)
    }

    /// Appends the body to `buffer` (no NUL).
    public func writeBody(to buffer: inout ByteBuffer) {
        self.part.writeBody(to: &buffer, word: Self.word(version: self.version))
    }

    /// The parts of the list `sorted` (by byte order) at `version`.
    public static func parts(ofSorted sorted: [ChatName], version: UInt64) -> [VersionedListPart] {
        OnlineList.parts(ofSorted: sorted, word: Self.word(version: version)).map {
            VersionedListPart(version: version, part: $0)
        }
    }

    /// Parses the argument of `Online` (the text after `Online `): the version, then as `List`.
    static func parse(argument: ArraySlice<UInt8>) throws(ControlError) -> VersionedListPart {
        guard let space = argument.firstIndex(of: Wire.padding), let version = Version.parse(argument[..<space]) else {
            throw .invalidArgument(command: "Online", reason: "no version")
        }
        return VersionedListPart(
            version: version, part: try ListPart.parse(argument: argument[(space + 1)...], command: "Online"))
    }
}
