import ChatServerCore
import Foundation

/// One option of `chatserver` that a file or the environment may set, by its long name: its
/// kind, where it goes on the command, whether a reload applies it live, and how
/// `--print-config` shows the value in force. `all` is the one list of them.
struct ServerOption {
    /// What a reload (SIGHUP) does with a change of the option.
    enum Reload {
        /// It takes a restart.
        case restart
        /// It applies at once.
        case live
        /// A file's name: it applies at once while the feature stays on (another users file,
        /// another certificate); turning the feature on or off takes a restart.
        case liveWhileSet
    }

    /// The long name (`max-clients`): the file's key, `CHAT255_MAX_CLIENTS` in the environment.
    let name: String
    /// What the file must hold for it.
    let kind: ConfigurationSources.Kind
    /// Whether a reload applies it while the server runs (`ConfigurationReloader`, `ChatServer.apply`).
    let reload: Reload
    /// Sets the command's option from `sources`, if they set it.
    let take: (inout ChatServerCommand, ConfigurationSources) throws -> Void
    /// The value in force, as `JSONSerialization` takes it (`NSNull` where unset), secrets masked.
    let value: (ServerConfiguration, ChatServerCommand) -> Any
    /// The value unmasked, for a reload to see a changed secret (`nil`: `value` hides nothing).
    let exact: ((ServerConfiguration, ChatServerCommand) -> Any)?

    init<Value: OptionValue>(
        _ name: String, _ path: WritableKeyPath<ChatServerCommand, Value>, reload: Reload = .restart,
        value: @escaping (ServerConfiguration, ChatServerCommand) -> Any
    ) {
        self.name = name
        self.kind = Value.kind
        self.reload = reload
        self.take = { command, sources in
            if let read = try Value.read(name, from: sources) { command[keyPath: path] = read }
        }
        self.value = value
        self.exact = nil
    }

    init<Value: OptionValue>(
        _ name: String, _ path: WritableKeyPath<ChatServerCommand, Value?>, reload: Reload = .restart,
        secret: Bool = false,
        value: @escaping (ServerConfiguration, ChatServerCommand) -> Any?
    ) {
        self.name = name
        self.kind = Value.kind
        self.reload = reload
        self.take = { command, sources in
            if let read = try Value.read(name, from: sources) { command[keyPath: path] = read }
        }
        self.value = { value($0, $1) ?? NSNull() }
        self.exact = secret ? { $1[keyPath: path] ?? NSNull() } : nil
    }

    /// Every option a file or the environment may set (the command line's `--config` and
    /// `--print-config` are not among them).
    static var all: [ServerOption] {
        [
            .init("host", \.host) { configuration, _ in configuration.host },
            .init("port", \.port) { configuration, _ in configuration.port },
            .init("alive-interval", \.aliveInterval) { configuration, _ in seconds(configuration.aliveInterval) },
            .init("alive-timeout", \.aliveTimeout) { configuration, _ in
                seconds(configuration.effectiveAliveTimeout)
            },
            .init("max-clients", \.maxClients, reload: .live) { configuration, _ in configuration.maxClients },
            .init("max-pending-bytes", \.maxPendingBytes) { configuration, _ in configuration.maxPendingBytes },
            .init("list-budget", \.listBudget, reload: .live) { configuration, _ in
                configuration.listBudget.map { $0 >> 20 }
            },
            .init("threads", \.threads) { configuration, _ in configuration.threads },
            .init("tls-cert", \.tlsCert, reload: .liveWhileSet) { configuration, _ in configuration.tls?.certificateFile
            },
            .init("tls-key", \.tlsKey, reload: .liveWhileSet) { configuration, _ in configuration.tls?.keyFile },
            .init("tls-client-ca", \.tlsClientCa, reload: .liveWhileSet) { configuration, _ in
                configuration.tls?.clientCAFile
            },
            .init("tls-port", \.tlsPort) { configuration, _ in configuration.tls?.port },
            .init("users", \.users, reload: .liveWhileSet) { configuration, _ in configuration.usersFile },
            .init("allow-plaintext-passwords", \.allowPlaintextPasswords) { _, command in
                command.allowPlaintextPasswords
            },
            .init("max-msgs-per-sec", \.maxMsgsPerSec, reload: .live) { configuration, _ in
                configuration.flood.messagesPerSecond
            },
            .init("max-burst", \.maxBurst, reload: .live) { configuration, _ in configuration.flood.burst },
            .init("max-bytes-per-sec", \.maxBytesPerSec, reload: .live) { configuration, _ in
                configuration.flood.bytesPerSecond
            },
            .init("max-clients-per-ip", \.maxClientsPerIp, reload: .live) { configuration, _ in
                configuration.flood.clientsPerAddress
            },
            .init("max-connects-per-ip-per-sec", \.maxConnectsPerIpPerSec, reload: .live) { configuration, _ in
                configuration.flood.connectsPerAddressPerSecond
            },
            .init("connect-timeout", \.connectTimeout, reload: .live) { configuration, _ in
                seconds(configuration.flood.connectTimeout)
            },
            .init("max-unregistered", \.maxUnregistered, reload: .live) { configuration, _ in
                configuration.flood.waitingConnections
            },
            // The endpoint's description hides its password; a reload compares the URL itself.
            .init("cluster", \.cluster, secret: true) { configuration, _ in
                configuration.cluster.map { "\($0.endpoint)" }
            },
            .init("cluster-name", \.clusterName) { configuration, command in
                configuration.cluster?.name ?? command.clusterName
            },
            // As given: unset, each start picks an id of its own (it is logged when the node joins).
            .init("node-id", \.nodeId) { _, command in command.nodeId },
            .init("cluster-lease", \.clusterLease) { configuration, command in
                configuration.cluster.map { seconds($0.lease) } ?? command.clusterLease
            },
            .init("cluster-tls-ca", \.clusterTlsCa) { configuration, _ in configuration.cluster?.tlsCAFile },
            .init("cluster-tls-cert", \.clusterTlsCert) { configuration, _ in
                configuration.cluster?.tlsCertificateFile
            },
            .init("cluster-tls-key", \.clusterTlsKey) { configuration, _ in configuration.cluster?.tlsKeyFile },
            .init("metrics-address", \.metricsAddress) { configuration, _ in
                configuration.metricsAddress.map { "\($0)" }
            },
            .init("web-address", \.webAddress) { configuration, _ in configuration.web.map { "\($0.address)" } },
            .init("web-allowed-origin", \.webAllowedOrigin) { _, command in command.webAllowedOrigin },
            .init("drain-timeout", \.drainTimeout) { configuration, _ in seconds(configuration.drainTimeout) },
            .init("log-format", \.logFormat) { _, command in command.logFormat.rawValue },
            .init("log-level", \.logLevel, reload: .live) { _, command in command.logLevel.rawValue },
        ]
    }

    /// Each option's kind, by its long name.
    static let kinds: [String: ConfigurationSources.Kind] = Dictionary(
        uniqueKeysWithValues: Self.all.map { ($0.name, $0.kind) })

    /// How a reload treats each option, by its long name.
    static let reloads: [String: Reload] = Dictionary(uniqueKeysWithValues: Self.all.map { ($0.name, $0.reload) })

    /// Whether a reload applies a change of `name` from `old` to `new` (values as JSON text).
    static func appliesLive(_ name: String, from old: String?, to new: String?) -> Bool {
        switch Self.reloads[name] {
        case .live: true
        case .liveWhileSet: old != nil && old != "null" && new != nil && new != "null"
        case .restart, nil: false
        }
    }

    /// A duration as seconds, the unit the options take.
    private static func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
