/// The flood-control settings (docs/SECURITY.md): per client, frames and bytes a second; per
/// source address, connections at once and new connections a second; and how long a
/// connection may take to send `Connect`.
public struct FloodLimits: Sendable, Equatable {
    /// Frames a client may send a second on average (`--max-msgs-per-sec`); 0: no limit.
    public var messagesPerSecond = 0
    /// Frames a client may send at once after a quiet spell (`--max-burst`); 0: one second's worth.
    public var burst = 0
    /// Bytes a client may send a second on average (`--max-bytes-per-sec`); 0: no limit.
    public var bytesPerSecond = 0
    /// Connections open at once from one address (`--max-clients-per-ip`); `nil`: no cap of its
    /// own (`--max-clients` and `--max-unregistered` still hold).
    public var clientsPerAddress: Int?
    /// New connections a second from one address (`--max-connects-per-ip-per-sec`), with as
    /// many at once.
    public var connectsPerAddressPerSecond = 10_000
    /// How long a connection may take to send `Connect` (`--connect-timeout`).
    public var connectTimeout: Duration = .seconds(10)
    /// Connections waiting for their `Connect`, all together (`--max-unregistered`); `nil`:
    /// `--max-clients`.
    public var waitingConnections: Int?

    /// No per-client limit; per address and while waiting for Connect, the defaults above.
    public init() {}

    /// Checks every value; the error says which one is wrong.
    func validate() throws(ConfigurationError) {
        guard self.messagesPerSecond >= 0 else { throw .invalid("--max-msgs-per-sec must be 0 (no limit) or more") }
        guard self.burst >= 0 else { throw .invalid("--max-burst must be 0 (one second's worth) or more") }
        guard self.bytesPerSecond == 0 || self.bytesPerSecond >= 256 else {
            throw .invalid("--max-bytes-per-sec must be 0 (no limit) or at least 256 (one frame)")
        }
        if let clients = self.clientsPerAddress, clients < 1 {
            throw .invalid("--max-clients-per-ip must be at least 1")
        }
        guard self.connectsPerAddressPerSecond >= 1 else {
            throw .invalid("--max-connects-per-ip-per-sec must be at least 1")
        }
        guard self.connectTimeout > .zero, self.connectTimeout <= .seconds(86_400) else {
            throw .invalid("--connect-timeout must be above 0 and at most 86400 seconds")
        }
        if let waiting = self.waitingConnections, waiting < 1 {
            throw .invalid("--max-unregistered must be at least 1")
        }
    }

    /// Whether a per-client limit is set.
    var isEnabled: Bool { self.messagesPerSecond > 0 || self.bytesPerSecond > 0 }

    /// The burst in force.
    var effectiveBurst: Int { self.burst > 0 ? self.burst : max(1, self.messagesPerSecond) }
}
