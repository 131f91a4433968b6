import ArgumentParser
import Logging

extension ChatServerCommand {
    /// The long names of the options given on `arguments` (a command line), which win over the
    /// file and the environment.
    static func givenOnCommandLine(_ arguments: [String]) -> Set<String> {
        var given: Set<String> = []
        for argument in arguments.dropFirst() {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            given.insert(String(argument.dropFirst(2).prefix { $0 != "=" }))
        }
        return given
    }

    /// This command with each option not in `given` taken from `sources` where they set it.
    func resolved(with sources: ConfigurationSources, given: Set<String>) throws -> ChatServerCommand {
        var command = self
        func take<T>(_ key: String, _ path: WritableKeyPath<ChatServerCommand, T>, _ read: (String) throws -> T?)
            throws
        {
            guard !given.contains(key), let value = try read(key) else { return }
            command[keyPath: path] = value
        }
        func takeOptional<T>(
            _ key: String, _ path: WritableKeyPath<ChatServerCommand, T?>, _ read: (String) throws -> T?
        ) throws {
            guard !given.contains(key), let value = try read(key) else { return }
            command[keyPath: path] = value
        }
        do {
            try take("host", \.host, sources.string)
            try take("port", \.port, sources.int)
            try take("alive-interval", \.aliveInterval, sources.double)
            try takeOptional("alive-timeout", \.aliveTimeout, sources.double)
            try take("max-clients", \.maxClients, sources.int)
            try take("max-pending-bytes", \.maxPendingBytes, sources.int)
            try take("list-budget", \.listBudget, sources.int)
            try takeOptional("threads", \.threads, sources.int)
            try takeOptional("tls-cert", \.tlsCert, sources.string)
            try takeOptional("tls-key", \.tlsKey, sources.string)
            try takeOptional("tls-client-ca", \.tlsClientCa, sources.string)
            try takeOptional("tls-port", \.tlsPort, sources.int)
            try takeOptional("users", \.users, sources.string)
            try take("allow-plaintext-passwords", \.allowPlaintextPasswords, sources.bool)
            try take("max-msgs-per-sec", \.maxMsgsPerSec, sources.int)
            try take("max-burst", \.maxBurst, sources.int)
            try take("max-bytes-per-sec", \.maxBytesPerSec, sources.int)
            try takeOptional("max-clients-per-ip", \.maxClientsPerIp, sources.int)
            try take("max-connects-per-ip-per-sec", \.maxConnectsPerIpPerSec, sources.int)
            try take("connect-timeout", \.connectTimeout, sources.double)
            try takeOptional("max-unregistered", \.maxUnregistered, sources.int)
            try takeOptional("cluster", \.cluster, sources.string)
            try take("cluster-name", \.clusterName, sources.string)
            try takeOptional("node-id", \.nodeId, sources.string)
            try take("cluster-lease", \.clusterLease, sources.double)
            try takeOptional("metrics-address", \.metricsAddress, sources.string)
            try take("drain-timeout", \.drainTimeout, sources.double)
            try take("log-format", \.logFormat) { key in
                try sources.string(key).map { text in
                    guard let format = LogFormat(rawValue: text) else {
                        throw ConfigurationSources.Problem(
                            description: "log-format must be text or json, not '\(text)'")
                    }
                    return format
                }
            }
            try take("log-level", \.logLevel) { key in
                try sources.string(key).map { text in
                    guard let level = Logger.Level(rawValue: text) else {
                        throw ConfigurationSources.Problem(
                            description:
                                "log-level must be trace, debug, info, notice, warning, error or critical, not '\(text)'"
                        )
                    }
                    return level
                }
            }
        } catch {
            throw ValidationError("\(error)")
        }
        return command
    }
}
