/// A `HOST:PORT` to listen on, as an option gives it: the operations endpoint
/// (`--metrics-address`) and the web listener (`--web-address`).
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    /// The host: an address or a name; IPv6 without brackets.
    public var host: String
    /// The TCP port; 0 takes a free one.
    public var port: Int

    /// An address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` (`127.0.0.1:9255`, `[::1]:9255`, `localhost:0`); `nil` if it is not one.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(" ") else { return nil }
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    public var description: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}
