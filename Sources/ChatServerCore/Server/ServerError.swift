/// A failure to start the server.
public enum ServerError: Error, CustomStringConvertible {
    /// The socket has no local address after binding.
    case noLocalAddress
    /// The operations endpoint (`--metrics-address`) could not be bound: the address and why.
    case operationsEndpoint(HostPort, String)

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .noLocalAddress: "the listening socket has no address"
        case .operationsEndpoint(let address, let why): "cannot serve --metrics-address \(address): \(why)"
        }
    }
}
