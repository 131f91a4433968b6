/// The web listener (`--web-address`): the web chat page at `/` and WebSocket clients at `/ws`.
public struct WebSettings: Sendable, Equatable {
    /// Where it listens.
    public var address: HostPort
    /// Origins besides the page's own whose pages may open `/ws` (`--web-allowed-origin`), as
    /// browsers send them: `https://chat.example.com`.
    public var allowedOrigins: [String]

    /// A web listener on `address`, open to the page's own origin and `allowedOrigins`.
    public init(address: HostPort, allowedOrigins: [String] = []) {
        self.address = address
        self.allowedOrigins = allowedOrigins
    }
}
