/// Why bytes from the stream are not a frame (docs/PROTOCOL.md, "Malformed frames").
public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which of the two name fields is at fault.
    public enum Field: String, Sendable {
        case destination
        case source
    }

    /// What is wrong with one name field.
    public enum NameFault: Error, Equatable, Sendable {
        /// The field is all spaces.
        case blank
        /// A space is followed by a non-space: names are padded on the right only.
        case spaceInside
        /// A byte outside 0x20...0x7E.
        case invalidByte(UInt8)
    }

    /// Fewer than 16 bytes came before the NUL (the count).
    case tooShort(Int)
    /// A name field is malformed.
    case badName(Field, NameFault)
    /// 256 bytes arrived without a NUL.
    case missingTerminator
    /// The stream ended in the middle of a frame (the bytes held).
    case truncated(Int)
    /// More than `FramePadding.limit` NULs in a row between frames.
    case tooMuchPadding

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .tooShort(let count):
            "malformed frame: \(count) bytes before the NUL, at least 16 needed for the two names"
        case .badName(let field, .blank):
            "malformed frame: the \(field.rawValue) name is blank"
        case .badName(let field, .spaceInside):
            "malformed frame: the \(field.rawValue) name has a space inside it"
        case .badName(let field, .invalidByte(let byte)):
            "malformed frame: the \(field.rawValue) name holds byte 0x\(String(byte, radix: 16, uppercase: true))"
        case .missingTerminator:
            "malformed frame: no NUL within 256 bytes"
        case .truncated(let count):
            "the stream ended inside a frame (\(count) bytes)"
        case .tooMuchPadding:
            "malformed input: more than \(FramePadding.limit) NUL bytes in a row between frames"
        }
    }
}
