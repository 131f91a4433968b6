import ArgumentParser

/// `chatserver`: serves the chat (`serve`, the default) or edits a users file (`passwd`).
@main
struct ChatServerMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatserver",
        abstract: "The chat255 relay: serves the chat, or edits its users file.",
        subcommands: [ChatServerCommand.self, PasswdCommand.self],
        defaultSubcommand: ChatServerCommand.self)
}
