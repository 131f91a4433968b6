public import ChatSystem
public import ChatWire

/// How `chatclient` was asked to run.
public struct ClientOptions: Sendable {
    /// The user's id.
    public var id: ChatName
    /// The server's host name or address.
    public var host: String = "127.0.0.1"
    /// The server's port.
    public var port: Int = 7255
    /// Whether to colour names (terminal mode only).
    public var colored: Bool = true
    /// Whether to use the interactive line editor (`nil`: when standard input is a terminal).
    public var interactive: Bool?
    /// Whether to reconnect (with backoff) and register again when the server is lost.
    public var reconnect = false
    /// The delays between reconnection attempts.
    public var backoff = Backoff()
    /// The account's password, for a server with accounts (sent in `Connect`).
    public var password: [UInt8]?
    /// TLS (`--tls`); `nil`: plain TCP.
    public var tls: ClientTLS?
    /// Whether to ask for change events (`List changes`) once connected; `--no-change-events`
    /// sends only the assignment's frames.
    public var changeEvents = true

    /// Options for `id` with the defaults.
    public init(id: ChatName) {
        self.id = id
    }
}
