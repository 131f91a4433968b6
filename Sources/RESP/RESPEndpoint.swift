/// Where a Redis server is, from a URL: `redis://[[USER]:PASSWORD@]HOST:PORT[/DB]`, or
/// `rediss://…` for TLS (a `RESPTransport` sets it up).
public struct RESPEndpoint: Equatable, Sendable, CustomStringConvertible {
    /// The server's host name or address.
    public let host: String
    /// Its port.
    public let port: Int
    /// The user to `AUTH` as (`nil`: the default user).
    public let user: String?
    /// The password (`nil`: no `AUTH`).
    public let password: String?
    /// The database to `SELECT` (0 unless given).
    public let database: Int
    /// Whether the connection speaks TLS (`rediss://`).
    public let usesTLS: Bool

    /// A plain (`redis://`) server at `host`:`port`, with these credentials (a primary the
    /// sentinels named).
    public init(host: String, port: Int, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.usesTLS = false
    }

    /// Parses `url`; the error says what is wrong with it.
    public init(url: String) throws(RESPEndpointError) {
        let scheme = ["redis://", "rediss://"].first { url.hasPrefix($0) }
        guard let scheme else { throw .invalid("'\(url)' does not start with redis:// (or rediss:// for TLS)") }
        var rest = Substring(url.dropFirst(scheme.count))
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = credentials[..<colon].isEmpty ? nil : String(credentials[..<colon])
                password = String(credentials[credentials.index(after: colon)...])
            } else {
                password = String(credentials)
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let text = rest[rest.index(after: slash)...]
            guard let number = Int(text), (0...1_000_000).contains(number) else {
                throw .invalid("the database in '\(url)' is not a number")
            }
            database = number
            rest = rest[..<slash]
        }
        guard let colon = rest.lastIndex(of: ":") else { throw .invalid("'\(url)' has no port (redis://HOST:PORT)") }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }  // [::1]
        guard !host.isEmpty else { throw .invalid("'\(url)' has no host") }
        guard let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port) else {
            throw .invalid("the port in '\(url)' is not 1...65535")
        }
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.usesTLS = scheme == "rediss://"
    }

    /// `USER:***@` (or `USER@`, `:***@`, nothing) for a URL in a log: the password hidden.
    static func hiddenCredentials(user: String?, password: String?) -> String {
        switch (user, password) {
        case (nil, nil): ""
        case (let user?, nil): "\(user)@"
        case (let user, _?): "\(user ?? ""):***@"
        }
    }

    /// `HOST:PORT`, an IPv6 address in brackets.
    var hostAndPort: String { (self.host.contains(":") ? "[\(self.host)]" : self.host) + ":\(self.port)" }

    /// The URL with the password hidden, for logs.
    public var description: String {
        let credentials = Self.hiddenCredentials(user: self.user, password: self.password)
        return (self.usesTLS ? "rediss://" : "redis://") + "\(credentials)\(self.hostAndPort)"
            + (self.database == 0 ? "" : "/\(self.database)")
    }
}

/// A Redis URL that cannot be used.
public enum RESPEndpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    case invalid(String)

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .invalid(let text): text
        }
    }
}
