import ChatServerCore
import Logging

/// SIGHUP with `--config`: reads the file (and the environment) again, checks the result whole,
/// applies what can change while the server runs, and logs what changed and what needs a
/// restart. A file that does not parse or check leaves the running configuration whole.
/// (The users file and the certificate are read again by `ChatServer.reload()` after this.)
actor ConfigurationReloader {
    private let command: ChatServerCommand
    private let given: Set<String>
    private let logLevel: LogLevelControl
    private let logger: Logger
    /// The running options' values as text: masked for the log, `exact` to compare.
    private var running: [String: String]
    private var exact: [String: String]
    /// The configuration the server started with (its threads, for the descriptors it needs).
    private let started: ServerConfiguration

    /// A reloader for `command` as parsed (`given`: the options on its command line, which keep
    /// winning), running `configuration` as `resolved` gave it.
    init(
        command: ChatServerCommand, given: Set<String>, resolved: ChatServerCommand,
        configuration: ServerConfiguration, logLevel: LogLevelControl, logger: Logger
    ) throws {
        self.command = command
        self.given = given
        self.logLevel = logLevel
        self.logger = logger
        self.started = configuration
        self.running = try EffectiveConfiguration.texts(configuration, command: resolved)
        self.exact = try EffectiveConfiguration.texts(configuration, command: resolved, exact: true)
    }

    /// Reads the configuration again and puts what can change live in force on `server`.
    func reload(_ server: ChatServer) async {
        guard let path = self.command.config else { return }
        do {
            let sources = try await ConfigurationSources(file: path)
            let next = try self.command.resolved(with: sources, given: self.given)
            let configuration = try next.serverConfiguration()
            let texts = try EffectiveConfiguration.texts(configuration, command: next)
            let exact = try EffectiveConfiguration.texts(configuration, command: next, exact: true)
            let changed = exact.keys.filter { exact[$0] != self.exact[$0] }.sorted()
            let applied = changed.filter { ServerOption.appliesLive($0, from: self.exact[$0], to: exact[$0]) }
            let restart = changed.filter { !applied.contains($0) }
            // The limits, and the names of the files `ChatServer.reload()` reads next.
            if applied.contains(where: { $0 != "log-level" }) {
                try server.apply(configuration)
                var needs = self.started
                needs.maxClients = configuration.maxClients
                try? ChatServerCommand.raiseDescriptorLimit(for: needs, logger: self.logger)
            }
            if applied.contains("log-level") { self.logLevel.set(next.logLevel) }
            let changes = changed.map { "\($0) \(self.running[$0] ?? "null") -> \(texts[$0] ?? "null")" }
            for key in applied {
                self.running[key] = texts[key]
                self.exact[key] = exact[key]
            }
            self.logger.info(
                "configuration file reloaded",
                metadata: [
                    "file": "\(path)", "applied": "\(applied.joined(separator: ","))",
                    "needs-restart": "\(restart.joined(separator: ","))",
                    "changes": "\(changes.joined(separator: "; "))",
                ])
            if !restart.isEmpty {
                self.logger.warning(
                    "configuration changes that take effect only after a restart",
                    metadata: ["options": "\(restart.joined(separator: ","))"])
            }
        } catch {
            self.logger.error(
                "configuration file not reloaded; the running configuration stays",
                metadata: ["file": "\(path)", "error": "\(error)"])
        }
    }
}
