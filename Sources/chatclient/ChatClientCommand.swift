import ArgumentParser
import ChatClientCore
import ChatSystem
import ChatWire
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The C library's `exit`, named apart from Swift members of the same name.
#if canImport(Glibc)
    private let systemExit = Glibc.exit
#elseif canImport(Darwin)
    private let systemExit = Darwin.exit
#endif

/// `chatclient`: joins a chatserver as one person. All logic lives in ChatClientCore; this
/// checks the command line and runs the client.
@main
struct ChatClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatclient",
        abstract: "Chat with everyone on a chatserver.",
        discussion: """
            At the prompt: (name) message sends to one person, (ALL) message to everyone, \
            @List shows who is online, @Quit leaves, @Help lists the commands. \
            With standard input from a pipe or file, each line is one command and events are printed \
            one per line, for scripts: printf '(bob) hi\\n@Quit\\n' | chatclient alice
            """)

    @Argument(help: "Your id: 1 to 8 printable ASCII characters, no spaces; not ALL or -SERVER-.")
    var id: String

    @Option(help: "The server's host name or address.")
    var host = "127.0.0.1"

    @Option(help: "The server's port.")
    var port = 7255

    @Flag(help: "Do not colour names (NO_COLOR in the environment does the same).")
    var noColor = false

    @Flag(help: "Speak TLS, verifying the server's certificate (against the system's roots, or --tls-ca).")
    var tls = false

    @Option(
        help: ArgumentHelp(
            "Trust this CA (PEM) for the server's certificate instead of the system's.", valueName: "file"))
    var tlsCa: String?

    @Option(help: ArgumentHelp("Present this client certificate (PEM; with --tls-key).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The client certificate's private key (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(help: "The name the server's certificate must carry (default: --host).")
    var tlsServerName: String?

    @Option(
        help: ArgumentHelp(
            "Read the account's password from this file (its first line), for a server with accounts.",
            valueName: "file"))
    var passwordFile: String?

    @Flag(help: "Ask for the account's password, without echo (else CHAT255_PASSWORD, if set, is used).")
    var askPassword = false

    @Flag(help: "Send only the assignment's frames: no 'List changes' (full lists on every change).")
    var noChangeEvents = false

    @Flag(help: "When the server is lost, reconnect (waiting 0.5, 1, 2 ... 30 s, with jitter) and register again.")
    var reconnect = false

    func validate() throws {
        _ = try self.chatName()
        guard (1...65_535).contains(self.port) else {
            throw ValidationError("--port must be 1...65535, not \(self.port)")
        }
        guard !self.host.isEmpty else { throw ValidationError("--host cannot be empty") }
    }

    /// The password: from `--password-file`, `--ask-password` or `CHAT255_PASSWORD`, in that
    /// order (never from the command line, where other users of the machine could read it).
    private func password(for id: ChatName) throws -> [UInt8]? {
        var password: [UInt8]
        if let file = self.passwordFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read the password file \(file)")
            }
            password = Array(data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).first ?? [])
            if password.last == UInt8(ascii: "\r") { password.removeLast() }
        } else if self.askPassword {
            do {
                password = try SecretInput.read(prompt: "password for \(id): ")
            } catch {
                throw ValidationError("\(error)")
            }
        } else if let variable = getenv("CHAT255_PASSWORD") {
            password = Array(String(cString: variable).utf8)
        } else {
            return nil
        }
        if let problem = ClientProtocol.passwordProblem(password, for: id) { throw ValidationError(problem) }
        return password
    }

    /// The TLS settings, or `nil` without `--tls` (the other TLS options need it).
    private func clientTLS() throws -> ClientTLS? {
        guard self.tls else {
            guard self.tlsCa == nil, self.tlsCert == nil, self.tlsKey == nil, self.tlsServerName == nil else {
                throw ValidationError("--tls-ca, --tls-cert, --tls-key and --tls-server-name need --tls")
            }
            return nil
        }
        guard (self.tlsCert == nil) == (self.tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        return ClientTLS(
            caFile: self.tlsCa, certificateFile: self.tlsCert, keyFile: self.tlsKey, serverName: self.tlsServerName)
    }

    private func chatName() throws -> ChatName {
        let name: ChatName
        do {
            name = try ChatName(validating: self.id)
        } catch {
            throw ValidationError("invalid id '\(EventFormatter.printable(self.id))': \(error)")
        }
        guard !name.isReserved else { throw ValidationError("invalid id '\(self.id)': it is reserved") }
        return name
    }

    func run() async throws {
        var options = ClientOptions(id: try self.chatName())
        options.host = self.host
        options.port = self.port
        let noColorVariable = getenv("NO_COLOR").map { String(cString: $0) } ?? ""
        options.colored = !self.noColor && noColorVariable.isEmpty
        options.reconnect = self.reconnect
        options.changeEvents = !self.noChangeEvents
        options.password = try self.password(for: options.id)
        options.tls = try self.clientTLS()
        let code = await ChatClientApp.run(options)
        // Standard input's reader thread may be blocked in read(); exit rather than wait for it.
        systemExit(code)
    }
}
