/// Where a run's clients connect: one server, or two nodes of a cluster (`--peer-port`), in
/// which case every client with an odd number (the second of every pair) goes to the second.
struct BenchServers: Sendable {
    let main: BenchAddress
    let peer: BenchAddress?

    /// Resolves the server, and the peer node on the same host if `peerPort` is given.
    init(host: String, port: Int, peerPort: Int?, sourceAddresses: Int) throws {
        self.main = try BenchAddress(host: host, port: port, sourceAddresses: sourceAddresses)
        self.peer = try peerPort.map { try BenchAddress(host: host, port: $0, sourceAddresses: sourceAddresses) }
    }

    /// The server client `index` connects to.
    func `for`(_ index: Int) -> BenchAddress {
        guard let peer = self.peer, index % 2 == 1 else { return self.main }
        return peer
    }
}
