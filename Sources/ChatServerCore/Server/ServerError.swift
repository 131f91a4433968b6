/// A failure to start the server.
public enum ServerError: Error, CustomStringConvertible {
    /// The socket has no local address after binding.
    case noLocalAddress

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .noLocalAddress: "the listening socket has no address"
        }
    }
}
