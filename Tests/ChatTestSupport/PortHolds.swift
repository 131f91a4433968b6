import ChatWireTestSupport
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// Ports on 127.0.0.1 that a test holds (bound with SO_REUSEADDR, not listening) while the
/// server that had one is down and will be started on it again: a Redis restarted on its port,
/// a `chatserver` a reconnecting client comes back to. Meanwhile connects to it are refused, as
/// to a dead server, and the kernel gives the port to no other test's listener (a port asked
/// for as 0 is never one that is bound): one test's clients (a `chatclient --reconnect`, a
/// cluster node) would otherwise reach another test's server. The server started again may
/// bind it while it is held (it sets SO_REUSEADDR too), so a hold is let go once it listens.
public enum PortHolds {
    private static let held = NIOLockedValueBox<[Int: Int32]>([:])

    /// Holds `port` until `release(port)`; `false` if it is taken (another socket has it).
    @discardableResult
    public static func hold(_ port: Int) -> Bool {
        guard let fd = Self.reserve(port: port) else { return false }
        Self.held.withLockedValue { $0[port] = fd }
        return true
    }

    /// Lets go of `port`, once the server started on it listens (nothing if it is not held).
    public static func release(_ port: Int) {
        if let fd = Self.held.withLockedValue({ $0.removeValue(forKey: port) }) { close(fd) }
    }

    /// A free port, held for a server to be started on it later.
    public static func holdFreePort() throws -> Int {
        for _ in 0..<100 {
            let port = try Self.freePort()
            if Self.hold(port) { return port }
        }
        throw TestFailure("no port to hold")
    }

    /// Binds `port` (not listening) until the descriptor returned is closed; `nil` if it is
    /// taken. For holds of one's own (a sentinel set holds its killed servers' ports).
    public static func reserve(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        // A server killed with connections open leaves them in TIME_WAIT on its port, which
        // only a socket with SO_REUSEADDR may bind (as the server started again there does).
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// A TCP port the kernel says is free now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("no socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestFailure("cannot bind a probe socket") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestFailure("getsockname failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
