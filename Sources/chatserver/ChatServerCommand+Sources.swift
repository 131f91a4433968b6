import ArgumentParser

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
        do {
            for option in ServerOption.all where !given.contains(option.name) {
                try option.take(&command, sources)
            }
        } catch {
            throw ValidationError("\(error)")
        }
        return command
    }
}
