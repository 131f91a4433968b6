public import RESP

/// How a server joins a cluster (`--cluster` and its options): the Redis that is the backbone,
/// the chat's name on it, this node's id and its lease. docs/CLUSTER.md says how to run one.
public struct ClusterConfiguration: Sendable, Equatable {
    /// The Redis server (`redis://[[USER]:PASSWORD@]HOST:PORT[/DB]`, `rediss://…`), or the
    /// sentinels that name it (`redis-sentinel://…/MASTER-NAME`).
    public var endpoint: RESPTarget
    /// Every key and channel of this chat starts with it, so that several chats share one Redis.
    public var name: String = "chat255"
    /// This node's id in the cluster; unique per process unless given.
    public var nodeID: String
    /// How long a node's names outlive it: a node that stops refreshing its lease (it died, or
    /// lost Redis) has its clients dropped from every list within the lease and a second.
    public var lease: Duration = .seconds(10)
    /// For `rediss://`: the CA (PEM) Redis's certificate must chain to (`--cluster-tls-ca`;
    /// `nil`: the system's roots).
    public var tlsCAFile: String?
    /// For `rediss://`: a client certificate chain (PEM) for a Redis that asks for one
    /// (`--cluster-tls-cert`), with its key (`--cluster-tls-key`).
    public var tlsCertificateFile: String?
    /// The client certificate's private key (PEM).
    public var tlsKeyFile: String?

    /// The backbone at `endpoint`, with the default name and lease, and a fresh node id.
    public init(endpoint: RESPTarget, nodeID: String? = nil) {
        self.endpoint = endpoint
        self.nodeID = nodeID ?? Self.uniqueNodeID()
    }

    /// The shortest and longest leases accepted, in seconds.
    public static let leaseRange: ClosedRange<Double> = 0.5...3600

    /// Checks the name, the node id and the lease; the error says which and why.
    public func validate() throws(ConfigurationError) {
        guard Self.isToken(self.name) else {
            throw .invalid("--cluster-name must be 1...64 letters, digits, '.', '_' or '-', not '\(self.name)'")
        }
        guard Self.isToken(self.nodeID) else {
            throw .invalid("--node-id must be 1...64 letters, digits, '.', '_' or '-', not '\(self.nodeID)'")
        }
        let seconds = Double(self.lease.components.seconds) + Double(self.lease.components.attoseconds) / 1e18
        guard Self.leaseRange.contains(seconds) else {
            throw .invalid("--cluster-lease must be 0.5...3600 seconds")
        }
        let files = [self.tlsCAFile, self.tlsCertificateFile, self.tlsKeyFile]
        guard self.endpoint.usesTLS || files.allSatisfy({ $0 == nil }) else {
            throw .invalid("--cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key need a rediss:// URL")
        }
        guard (self.tlsCertificateFile == nil) == (self.tlsKeyFile == nil) else {
            throw .invalid("--cluster-tls-cert and --cluster-tls-key go together")
        }
    }

    /// TLS to Redis for a `rediss://` endpoint, from the files given; `nil` for `redis://`.
    ///
    /// - Throws: `ClusterError.unusable` naming a file that cannot be read.
    public func makeTLS() throws(ClusterError) -> ClusterTLS? {
        guard self.endpoint.usesTLS else { return nil }
        do {
            return try ClusterTLS(
                caFile: self.tlsCAFile, certificateFile: self.tlsCertificateFile, keyFile: self.tlsKeyFile)
        } catch {
            throw .unusable("cannot set up TLS to Redis: \(error)")
        }
    }

    /// Names and ids go into Redis keys and event lines: a safe alphabet, no spaces.
    static func isToken(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    /// A node id no other process has: a random 64-bit number in hex (host names and process
    /// ids repeat across containers).
    static func uniqueNodeID() -> String {
        "node-" + String(UInt64.random(in: .min ... .max), radix: 16)
    }
}
