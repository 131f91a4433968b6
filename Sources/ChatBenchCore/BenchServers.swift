import ChatClientCore

/// Where a run's clients connect: one server, or two nodes of a cluster (`--peer-port`), in
/// which case every client with an odd number (the second of every pair) goes to the second.
struct BenchServers: Sendable {
    let main: BenchAddress
    let peer: BenchAddress?

    /// Resolves the server, and the peer node on the same host if `peerPort` is given; with
    /// `tls`, makes its context once for every client.
    init(host: String, port: Int, peerPort: Int?, sourceAddresses: Int, tls: ClientTLS? = nil) throws {
        let secure = try tls.map { settings in (settings: settings, context: try settings.makeContext()) }
        self.main = try BenchAddress(host: host, port: port, sourceAddresses: sourceAddresses, tls: secure)
        self.peer = try peerPort.map {
            try BenchAddress(host: host, port: $0, sourceAddresses: sourceAddresses, tls: secure)
        }
    }

    /// The server client `index` connects to.
    func `for`(_ index: Int) -> BenchAddress {
        guard let peer = self.peer, index % 2 == 1 else { return self.main }
        return peer
    }
}
