/// One change of the online set in a `Changed` body: `+name` joined, `-name` left.
public enum ListChange: Equatable, Hashable, Sendable {
    /// The client joined.
    case joined(ChatName)
    /// The client left.
    case left(ChatName)

    /// The name it is about.
    public var name: ChatName {
        switch self {
        case .joined(let name), .left(let name): name
        }
    }

    /// `+name` or `-name`.
    public var text: String {
        switch self {
        case .joined(let name): "+\(name.text)"
        case .left(let name): "-\(name.text)"
        }
    }

    /// Bytes it takes in a body, with the space before it.
    var length: Int { 2 + self.name.length }
}
