/// The server's certificate is not for the name asked for.
public struct ServerNameMismatch: Error, Equatable, CustomStringConvertible {
    /// The name asked for.
    public let expected: String
    /// The DNS names the certificate carries.
    public let names: [String]

    /// `TLS: the server's certificate is not for 'wrong.example' (it is for localhost)`.
    public var description: String {
        let carried = self.names.isEmpty ? "it names no host" : "it is for \(self.names.joined(separator: ", "))"
        return "TLS: the server's certificate is not for '\(self.expected)' (\(carried))"
    }
}
