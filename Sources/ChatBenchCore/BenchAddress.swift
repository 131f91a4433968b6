import NIOCore
import NIOPosix

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
struct BenchAddress: Sendable {
    let host: String
    let port: Int
    let address: SocketAddress

    /// Resolves `host`; a name that resolves to nothing is a clear error.
    init(host: String, port: Int) throws {
        self.host = host
        self.port = port
        do {
            self.address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw BenchError.invalid("cannot resolve the server's address '\(host)': \(error)")
        }
    }

    /// Connects `bootstrap` to the server; a refused or failed connect is said in a few words.
    func connect(_ bootstrap: ClientBootstrap) async throws {
        do {
            _ = try await bootstrap.connect(to: self.address).get()
        } catch {
            let reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)).lowercased() }
            throw BenchError.invalid("cannot reach the server at \(self.host):\(self.port): \(reason ?? "\(error)")")
        }
    }
}
