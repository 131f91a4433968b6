import ChatServerCore
import Foundation

/// `chatserver --print-config`: the configuration in force, one JSON object keyed by the long
/// option names, every option present (`null` where unset), secrets masked (the password in a
/// `--cluster` URL). Keys and values are those the options take, so the output documents
/// exactly what the server would run with.
enum EffectiveConfiguration {
    /// Writes the JSON text to standard output.
    static func print(_ configuration: ServerConfiguration, command: ChatServerCommand) throws {
        FileHandle.standardOutput.write(Data(try Self.json(configuration, command: command).utf8))
    }

    /// The JSON text, keys sorted, for `configuration` as `command` resolved it.
    static func json(_ configuration: ServerConfiguration, command: ChatServerCommand) throws -> String {
        let data = try JSONSerialization.data(
            withJSONObject: Self.values(configuration, command: command),
            options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Each option's value as JSON text (`null` where unset), to compare two configurations.
    static func texts(_ configuration: ServerConfiguration, command: ChatServerCommand) throws -> [String: String] {
        var texts: [String: String] = [:]
        for (key, value) in Self.values(configuration, command: command) {
            let data = try JSONSerialization.data(withJSONObject: [value], options: [.withoutEscapingSlashes])
            texts[key] = String(decoding: data, as: UTF8.self)
        }
        return texts
    }

    /// Each option's value, as `JSONSerialization` takes it.
    private static func values(_ configuration: ServerConfiguration, command: ChatServerCommand) -> [String: Any] {
        func seconds(_ duration: Duration) -> Double {
            let (whole, attoseconds) = duration.components
            return Double(whole) + Double(attoseconds) / 1e18
        }
        let null = NSNull()
        let values: [String: Any] = [
            "host": configuration.host,
            "port": configuration.port,
            "alive-interval": seconds(configuration.aliveInterval),
            "alive-timeout": seconds(configuration.effectiveAliveTimeout),
            "max-clients": configuration.maxClients,
            "max-pending-bytes": configuration.maxPendingBytes,
            "list-budget": configuration.listBudget >> 20,
            "threads": configuration.threads,
            "tls-cert": configuration.tls?.certificateFile ?? null,
            "tls-key": configuration.tls?.keyFile ?? null,
            "tls-client-ca": configuration.tls?.clientCAFile ?? null,
            "tls-port": configuration.tls?.port ?? null,
            "users": configuration.usersFile ?? null,
            "allow-plaintext-passwords": command.allowPlaintextPasswords,
            "max-msgs-per-sec": configuration.flood.messagesPerSecond,
            "max-burst": configuration.flood.burst,
            "max-bytes-per-sec": configuration.flood.bytesPerSecond,
            "max-clients-per-ip": configuration.flood.clientsPerAddress ?? null,
            "max-connects-per-ip-per-sec": configuration.flood.connectsPerAddressPerSecond,
            "connect-timeout": seconds(configuration.flood.connectTimeout),
            "max-unregistered": configuration.flood.waitingConnections ?? null,
            // The endpoint's description hides its password.
            "cluster": configuration.cluster.map { "\($0.endpoint)" } ?? null,
            "cluster-name": configuration.cluster?.name ?? command.clusterName,
            "node-id": configuration.cluster?.nodeID ?? null,
            "cluster-lease": configuration.cluster.map { seconds($0.lease) } ?? command.clusterLease,
            "metrics-address": configuration.metricsAddress.map { "\($0)" } ?? null,
            "drain-timeout": seconds(configuration.drainTimeout),
            "log-format": command.logFormat.rawValue,
            "log-level": command.logLevel.rawValue,
        ]
        return values
    }
}
