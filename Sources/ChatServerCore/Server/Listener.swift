/// One address the server listens on, and the transport its connections speak. A server has
/// one or more (say plain TCP on one port and TLS on another); all of them are one chat.
public struct Listener: Sendable {
    /// The address to listen on: `127.0.0.1`, `0.0.0.0`, `::`, a host name.
    public var host: String
    /// The TCP port; 0 takes a free one.
    public var port: Int
    /// What the connections speak.
    public var transport: any ChatTransport

    /// A listener on `host:port` speaking `transport` (plain TCP unless told).
    public init(host: String, port: Int, transport: any ChatTransport = PlainTCP()) {
        self.host = host
        self.port = port
        self.transport = transport
    }
}
