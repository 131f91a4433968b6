public import ArgumentParser
import ChatServerCore
import ChatSystem
public import Logging
import NIOCore
import RESP
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `chatserver`: the chat relay (and `chatserver passwd`, which edits a users file). All logic lives in ChatServerCore; this parses the
/// command line, sets up logging and runs the server until SIGINT or SIGTERM, which drain it
/// (SIGHUP reloads the configuration file, the users file and the TLS certificate).
@main
struct ChatServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatserver",
        abstract: "Relays chat messages between chatclient users over the chat255 protocol.",
        discussion: "Stop it with Ctrl-C (SIGINT) or SIGTERM: it drains (clients are told) and exits 0. "
            + "SIGHUP reloads the --config file (limits and the log level apply at once), "
            + "the users file and the TLS certificate and key. "
            + "'chatserver passwd FILE NAME' edits a users file.",
        subcommands: [PasswdCommand.self])

    @Option(help: "The address to listen on (0.0.0.0 or :: to accept other machines).")
    var host = "127.0.0.1"

    @Option(help: "The TCP port (0 takes a free one).")
    var port = 7255

    @Option(help: "Seconds between the Alive messages clients must send (decimals allowed).")
    var aliveInterval: Double = 5

    @Option(help: "Seconds of silence after which a client is retired (default: 3 × the interval).")
    var aliveTimeout: Double?

    @Option(help: "The most clients online at once (1...1000000).")
    var maxClients = 10_000

    @Option(help: "The most bytes queued for one client before it is cut off as a slow consumer.")
    var maxPendingBytes = 1 << 20

    @Option(
        help: ArgumentHelp(
            "A ceiling on the MiB a second the online-list pushes may write on average, 1...1048576 (default: none).",
            discussion:
                "Pushes already follow what the server measured them to drain at (docs/PROTOCOL.md, rule 9); this keeps their traffic below a set rate as well."
        ))
    var listBudget: Int?

    @Option(help: "Event-loop threads, 1...1024 (default: one per core).")
    var threads: Int?

    @Option(help: ArgumentHelp("Speak TLS with this certificate chain (PEM; with --tls-key).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The TLS certificate's private key (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(
        help: ArgumentHelp(
            "Require TLS clients to present a certificate signed by this CA (PEM), naming their id.",
            valueName: "file"))
    var tlsClientCa: String?

    @Option(help: "Serve TLS on this port and keep --port plain TCP (default: --port speaks TLS only).")
    var tlsPort: Int?

    @Option(
        help: ArgumentHelp(
            "Accounts: every Connect must carry its id's password (a file made with 'chatserver passwd').",
            valueName: "file"))
    var users: String?

    @Flag(help: "Accept --users on a non-loopback address without TLS (passwords would cross the network in clear).")
    var allowPlaintextPasswords = false

    @Option(help: "Frames one client may send a second on average (0: no limit).")
    var maxMsgsPerSec = 0

    @Option(help: "Frames one client may send at once after a quiet spell (0: one second's worth).")
    var maxBurst = 0

    @Option(help: "Bytes one client may send a second on average (0: no limit; else at least 256).")
    var maxBytesPerSec = 0

    @Option(help: "Connections open at once from one address (default: no cap beyond --max-clients).")
    var maxClientsPerIp: Int?

    @Option(help: "New connections a second from one address.")
    var maxConnectsPerIpPerSec = 10_000

    @Option(help: "Seconds a new connection may take to send Connect (decimals allowed).")
    var connectTimeout: Double = 10

    @Option(help: "Connections waiting for their Connect, all together (default: --max-clients).")
    var maxUnregistered: Int?

    @Option(
        help: ArgumentHelp(
            "Serve one chat with other nodes through this Redis: redis://[[USER]:PASSWORD@]HOST:PORT[/DB] (rediss:// for TLS), or the primary Sentinel names: redis-sentinel://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER-NAME.",
            valueName: "url"))
    var cluster: String?

    @Option(help: "The chat's name on the cluster's Redis (its keys and channels start with it).")
    var clusterName = "chat255"

    @Option(help: "This node's id in the cluster (default: one unique to this process).")
    var nodeId: String?

    @Option(help: "Seconds a dead node's clients may stay listed (0.5...3600, decimals allowed).")
    var clusterLease: Double = 10

    @Option(
        help: ArgumentHelp(
            "The CA (PEM) a rediss:// Redis's certificate must chain to (default: the system's roots).",
            valueName: "file"))
    var clusterTlsCa: String?

    @Option(
        help: ArgumentHelp(
            "A client certificate (PEM) for a rediss:// Redis that asks for one (with --cluster-tls-key).",
            valueName: "file"))
    var clusterTlsCert: String?

    @Option(help: ArgumentHelp("The key (PEM) of --cluster-tls-cert.", valueName: "file"))
    var clusterTlsKey: String?

    @Option(
        help: ArgumentHelp(
            "Serve /metrics (Prometheus), /healthz and /readyz over HTTP on this address (off by default).",
            valueName: "host:port"))
    var metricsAddress: String?

    @Option(
        help: ArgumentHelp(
            "Serve the web chat page and WebSocket clients (/ws) on this address (off by default; HTTPS with --tls-cert).",
            valueName: "host:port"))
    var webAddress: String?

    @Option(
        help: ArgumentHelp(
            "Let pages of this origin open the chat too (https://host[:port]; repeat for more; the page's own always can).",
            valueName: "origin"))
    var webAllowedOrigin: [String] = []

    @Option(help: "Seconds shutdown waits for each client to take its last frame before closing it anyway.")
    var drainTimeout: Double = 10

    @Option(help: "Log lines as text (the default) or as one JSON object a line (json), for log shippers.")
    var logFormat: LogFormat = .text

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Flag(help: "Print the configuration in force (JSON, keyed by the long option names, secrets masked) and exit.")
    var printConfig = false

    @Option(
        help: ArgumentHelp(
            "Read options from this JSON file (one object keyed by the long option names); "
                + "CHAT255_<NAME> environment variables are read too. The command line wins, then the file.",
            valueName: "file"))
    var config: String?

    /// The options as a checked configuration.
    func serverConfiguration() throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = self.host
        configuration.port = self.port
        configuration.aliveInterval = try Self.duration(self.aliveInterval, option: "--alive-interval")
        configuration.aliveTimeout = try self.aliveTimeout.map { try Self.duration($0, option: "--alive-timeout") }
        configuration.maxClients = self.maxClients
        configuration.maxPendingBytes = self.maxPendingBytes
        if let listBudget = self.listBudget {
            guard (1...(1 << 20)).contains(listBudget) else {
                throw ValidationError("--list-budget must be 1...1048576 (MiB a second)")
            }
            configuration.listBudget = listBudget << 20
        }
        if let threads = self.threads { configuration.threads = threads }
        switch (self.tlsCert, self.tlsKey) {
        case (let certificate?, let key?):
            configuration.tls = TLSServerSettings(
                certificateFile: certificate, keyFile: key, clientCAFile: self.tlsClientCa, port: self.tlsPort)
        case (nil, nil):
            guard self.tlsClientCa == nil, self.tlsPort == nil else {
                throw ValidationError("--tls-client-ca and --tls-port need --tls-cert and --tls-key")
            }
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        configuration.usersFile = self.users
        // A plain listener (no TLS, or TLS on --tls-port beside it) on a non-loopback address
        // would take passwords in clear from the network.
        let plainListener = configuration.tls == nil || configuration.tls?.port != nil
        if self.users != nil, plainListener, !self.allowPlaintextPasswords, !Self.isLoopback(self.host) {
            throw ValidationError(
                "--users on \(self.host) without TLS would take passwords in clear from the network: "
                    + "add --tls-cert and --tls-key, listen on loopback, or pass --allow-plaintext-passwords")
        }
        configuration.flood.messagesPerSecond = self.maxMsgsPerSec
        configuration.flood.burst = self.maxBurst
        configuration.flood.bytesPerSecond = self.maxBytesPerSec
        configuration.flood.clientsPerAddress = self.maxClientsPerIp
        configuration.flood.connectsPerAddressPerSecond = self.maxConnectsPerIpPerSec
        configuration.flood.connectTimeout = try Self.duration(self.connectTimeout, option: "--connect-timeout")
        configuration.flood.waitingConnections = self.maxUnregistered
        configuration.drainTimeout = try Self.duration(self.drainTimeout, option: "--drain-timeout")
        if let text = self.metricsAddress {
            guard let address = HostPort(parsing: text) else {
                throw ValidationError("--metrics-address must be HOST:PORT (127.0.0.1:9255, [::1]:9255), not '\(text)'")
            }
            configuration.metricsAddress = address
        }
        if let text = self.webAddress {
            guard let address = HostPort(parsing: text) else {
                throw ValidationError("--web-address must be HOST:PORT (127.0.0.1:8080, [::1]:8080), not '\(text)'")
            }
            configuration.web = WebSettings(address: address, allowedOrigins: self.webAllowedOrigin)
        } else if !self.webAllowedOrigin.isEmpty {
            throw ValidationError("--web-allowed-origin needs --web-address")
        }
        if let url = self.cluster {
            let endpoint: RESPTarget
            do {
                endpoint = try RESPTarget(url: url)
            } catch {
                throw ValidationError("--cluster: \(error)")
            }
            var cluster = ClusterConfiguration(endpoint: endpoint, nodeID: self.nodeId)
            cluster.name = self.clusterName
            guard self.clusterLease.isFinite, ClusterConfiguration.leaseRange.contains(self.clusterLease) else {
                throw ValidationError("--cluster-lease must be 0.5...3600 seconds")
            }
            cluster.lease = .nanoseconds(Int64((self.clusterLease * 1e9).rounded()))
            cluster.tlsCAFile = self.clusterTlsCa
            cluster.tlsCertificateFile = self.clusterTlsCert
            cluster.tlsKeyFile = self.clusterTlsKey
            configuration.cluster = cluster
        } else if self.nodeId != nil || self.clusterName != "chat255" || self.clusterLease != 10
            || self.clusterTlsCa != nil || self.clusterTlsCert != nil || self.clusterTlsKey != nil
        {
            throw ValidationError("--cluster-name, --node-id, --cluster-lease and --cluster-tls-* need --cluster")
        }
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }

    private static func duration(_ seconds: Double, option: String) throws -> Duration {
        guard seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw ValidationError("\(option) must be a number of seconds above 0 and at most 86400")
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    func run() async throws {
        // The command line wins over the file (--config), the file over the environment.
        let sources: ConfigurationSources
        do {
            sources = try await ConfigurationSources(file: self.config)
        } catch {
            throw ValidationError(error.description)
        }
        let given = Self.givenOnCommandLine(CommandLine.arguments)
        try await self.resolved(with: sources, given: given).serve(parsed: self, given: given)
    }

    /// Runs with the options resolved (`parsed`: as the command line gave them, for reloads).
    private func serve(parsed: ChatServerCommand, given: Set<String>) async throws {
        if self.printConfig {
            try EffectiveConfiguration.print(try self.serverConfiguration(), command: self)
            return
        }
        // The level is read at each log call, so that a reload can change it.
        let level = LogLevelControl(self.logLevel)
        switch self.logFormat {
        case .text:
            LoggingSystem.bootstrap { label in level.handler(StreamLogHandler.standardError(label: label)) }
        case .json:
            LoggingSystem.bootstrap { label in level.handler(JSONLogHandler(label: label)) }
        }
        let logger = Logger(label: "chatserver")
        let configuration = try self.serverConfiguration()

        try Self.raiseDescriptorLimit(for: configuration, logger: logger)
        // Before the first client, so that a burst of connections never waits on the table growing.
        FileDescriptorLimit.reserveTable(for: configuration.maxClients + FileDescriptorLimit.reserve)

        let reloader = try ConfigurationReloader(
            command: parsed, given: given, resolved: self, configuration: configuration, logLevel: level,
            logger: logger)
        let service = ChatServerService(
            configuration: configuration, logger: logger, onHangup: { server in await reloader.reload(server) })
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch let error as ClusterError {
            throw ServeError(description: "cannot join the cluster: \(error)")
        } catch let error as TLSSetupError {
            throw ServeError(description: "cannot set up TLS: \(error)")
        } catch let error as ServerError {
            throw ServeError(description: "\(error)")
        } catch let error as UserFileError {
            throw ServeError(description: "cannot use the users file \(self.users ?? ""): \(error)")
        } catch {
            // ArgumentParser prints "Error: <this>" on standard error and exits with code 1.
            throw ServeError(description: "cannot serve on \(self.host):\(self.port): \(Self.describe(error))")
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// How log lines are written (`--log-format`).
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    /// Swift Log's text lines.
    case text
    /// One JSON object a line (`JSONLogHandler`).
    case json
}

extension ChatServerCommand {
    /// Descriptors one SwiftNIO event loop holds on Linux: its epoll, its eventfd, its timerfd.
    static let descriptorsPerLoop = 3
    /// Descriptors the process needs before any client besides its loops: standard streams,
    /// the listener, the runtime's own (a handful; this leaves room).
    static let descriptorsBesideLoops = 16

    /// Raises the open file limit to what `configuration`'s clients and loops need (at start,
    /// and at a reload that raises `--max-clients`); a warning says how many clients fit when
    /// the hard limit is lower.
    /// - Throws: `ServeError` when not even the event loops' descriptors fit.
    static func raiseDescriptorLimit(for configuration: ServerConfiguration, logger: Logger) throws(ServeError) {
        let loopDescriptors = configuration.threads * Self.descriptorsPerLoop
        let needed = configuration.maxClients + FileDescriptorLimit.reserve + loopDescriptors
        guard let (limit, hard) = FileDescriptorLimit.raise(toAtLeast: needed) else { return }
        logger.info("open file limit", metadata: ["limit": "\(limit)", "needed": "\(needed)"])
        // SwiftNIO stops the process if an event loop cannot get its descriptors: say it first.
        guard loopDescriptors + Self.descriptorsBesideLoops <= limit else {
            throw ServeError(
                description: "--threads \(configuration.threads) needs \(loopDescriptors) descriptors; "
                    + "the open file limit is \(limit) (raise it with ulimit -n, or use fewer threads)")
        }
        if limit < needed {
            let room = max(0, limit - FileDescriptorLimit.reserve - loopDescriptors)
            logger.warning(
                "the open file limit cannot be raised to what --max-clients needs: about \(room) clients fit; raise the hard limit (ulimit -Hn, systemd LimitNOFILE=) or lower --max-clients",
                metadata: ["limit": "\(limit)", "hard-limit": "\(hard)", "needed": "\(needed)"])
        }
    }

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        guard let address = try? SocketAddress(ipAddress: host, port: 0) else { return false }
        switch address {
        case .v4: return address.ipAddress?.hasPrefix("127.") == true
        case .v6: return address.ipAddress == "::1"
        default: return false
        }
    }

    /// A socket error in a few words (`address already in use`), anything else as it describes itself.
    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        return "\(error)"
    }
}

/// Why the server could not run (bind failure and the like), in words.
struct ServeError: Error, CustomStringConvertible {
    let description: String
}
