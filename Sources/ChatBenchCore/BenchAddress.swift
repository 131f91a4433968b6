import ChatClientCore
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The server a run talks to: the name given, and its address resolved once for all clients.
///
/// `ClientBootstrap.connect(host:port:)` resolves the name again for every connection (two
/// `getaddrinfo` queries off the event loop, then a Happy Eyeballs race); for thousands of
/// clients connecting at once that was a tenth of a join storm's measured time (2,000 clients:
/// 0.36–0.44 s → 0.34–0.39 s), time the tool would have counted as the server's.
///
/// One source address has some 28,000 ephemeral ports, and connecting slows past ~14,000 of
/// them; with `sourceAddresses` above 1, client `i` connects from 127.0.0.(1 + i mod N), which
/// needs a server on loopback.
struct BenchAddress: Sendable {
    let host: String
    let port: Int
    let address: SocketAddress
    /// The local addresses clients connect from, in turn (empty: the system chooses).
    let sources: [SocketAddress]
    /// TLS for the connections (the settings and the context made once), or `nil`.
    let tls: (settings: ClientTLS, context: NIOSSLContext)?

    /// The most source addresses: 127.0.0.1 to 127.0.0.254.
    static let maxSourceAddresses = 254

    /// Resolves `host`; a name that resolves to nothing, or source addresses for a server not on
    /// loopback, is a clear error.
    init(
        host: String, port: Int, sourceAddresses: Int = 1, tls: (settings: ClientTLS, context: NIOSSLContext)? = nil
    ) throws {
        self.host = host
        self.port = port
        self.tls = tls
        do {
            self.address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw BenchError.invalid("cannot resolve the server's address '\(host)': \(error)")
        }
        guard (1...Self.maxSourceAddresses).contains(sourceAddresses) else {
            throw BenchError.invalid("--source-addresses must be 1...\(Self.maxSourceAddresses)")
        }
        guard sourceAddresses > 1 else {
            self.sources = []
            return
        }
        guard case .v4 = self.address, self.address.ipAddress?.hasPrefix("127.") == true else {
            throw BenchError.invalid("--source-addresses needs a server on IPv4 loopback (127.x.x.x), not '\(host)'")
        }
        self.sources = try (1...sourceAddresses).map { try SocketAddress(ipAddress: "127.0.0.\($0)", port: 0) }
    }

    /// Puts TLS in front of a new client's handler, if the run speaks it.
    func addTLS(to channel: any Channel) throws {
        guard let tls = self.tls else { return }
        try tls.settings.configure(channel, context: tls.context, host: self.host)
    }

    /// Connects `bootstrap` to the server (client `index` from its source address); a refused or
    /// failed connect is said in a few words.
    func connect(_ bootstrap: ClientBootstrap, index: Int) async throws {
        let bootstrap = self.sources.isEmpty ? bootstrap : bootstrap.bind(to: self.sources[index % self.sources.count])
        do {
            _ = try await bootstrap.connect(to: self.address).get()
        } catch {
            let reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)).lowercased() }
            throw BenchError.invalid("cannot reach the server at \(self.host):\(self.port): \(reason ?? "\(error)")")
        }
    }
}
