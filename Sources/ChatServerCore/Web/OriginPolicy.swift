/// Which pages may open the WebSocket (cross-site WebSocket hijacking: a browser sends the
/// user's cookies and reaches loopback from any site, so the server must look at `Origin`).
///
/// The page's own origin is allowed: an `Origin` whose host and port are the request's `Host`
/// (the scheme is not compared, so that a reverse proxy that ends TLS in front of the server
/// still counts as the same site). `--web-allowed-origin` adds others, compared whole. A request
/// without `Origin` does not come from a browser page (command-line clients send none) and is
/// allowed: the attack needs a browser.
struct OriginPolicy: Sendable, Equatable {
    /// The origins allowed besides the page's own, lowercased, without a trailing slash.
    let others: Set<String>

    /// A policy allowing the page's own origin and `others`.
    init(allowing others: [String]) {
        self.others = Set(others.map(Self.normalized))
    }

    /// Whether a request with these `Origin` and `Host` headers may upgrade.
    func allows(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        let normalized = Self.normalized(origin)
        if self.others.contains(normalized) { return true }
        guard let host else { return false }
        // `scheme://host[:port]`: what follows the scheme must be the request's Host.
        let parts = normalized.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].hasSuffix(":"), parts[1].isEmpty else { return false }
        return parts[2] == Self.normalized(host)
    }

    /// Lowercased, without spaces around it or slashes after it.
    private static func normalized(_ text: String) -> String {
        var text = Substring(text.lowercased())
        while text.first == " " { text.removeFirst() }
        while text.last == " " || text.last == "/" { text.removeLast() }
        return String(text)
    }
}
