import ArgumentParser
import ChatServerCore
import ChatSystem
import ChatWire
import Foundation

/// `chatserver passwd FILE NAME`: adds an account to a users file or changes its password
/// (read without echo from the terminal, or one line of standard input); `--delete` removes it.
/// The file is written whole to a temporary file beside it, then renamed over it (mode 0600).
struct PasswdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Adds or changes an account's password in a users file, or deletes the account.",
        discussion: "The password is read without echo from the terminal, or as one line of standard "
            + "input. The file keeps scrypt hashes, never passwords. A running server reads it again on SIGHUP.")

    @Flag(help: "Remove the account instead.")
    var delete = false

    @Argument(help: "The users file (made if missing).")
    var file: String

    @Argument(help: "The account's id.")
    var name: String

    func run() throws {
        let id: ChatName
        do {
            id = try ChatName(validating: self.name)
        } catch {
            throw ValidationError("'\(self.name)' is not a valid id: \(error)")
        }
        guard id != .all, id != .server else { throw ValidationError("'\(self.name)' is reserved") }
        var directory = try self.readDirectory()
        if self.delete {
            guard directory.remove(id) else { throw PasswdError("\(self.file) has no account '\(id)'") }
            try self.write(directory)
            print("removed '\(id)' from \(self.file)")
            return
        }
        let password = try self.askPassword()
        let existed = directory.accounts[id] != nil
        directory.set(id, try PasswordHash.make(password: password))
        try self.write(directory)
        print("\(existed ? "changed the password of" : "added") '\(id)' \(existed ? "in" : "to") \(self.file)")
    }

    private func askPassword() throws -> [UInt8] {
        do {
            let first = try SecretInput.read(prompt: "password for \(self.name): ")
            if SecretInput.isTerminal {
                let again = try SecretInput.read(prompt: "again: ")
                guard again == first else { throw PasswdError("the two passwords differ; nothing changed") }
            }
            return first
        } catch let failure as SecretInput.Failure {
            throw PasswdError("\(failure); nothing changed")
        }
    }

    private func readDirectory() throws -> UserDirectory {
        guard FileManager.default.fileExists(atPath: self.file) else { return UserDirectory() }
        guard let data = FileManager.default.contents(atPath: self.file) else {
            throw PasswdError("cannot read \(self.file)")
        }
        do {
            return try UserDirectory(parsing: String(decoding: data, as: UTF8.self))
        } catch {
            throw PasswdError("\(self.file): \(error); nothing changed")
        }
    }

    private func write(_ directory: UserDirectory) throws {
        let url = URL(fileURLWithPath: self.file)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        guard
            FileManager.default.createFile(
                atPath: temporary.path, contents: Data(directory.text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw PasswdError("cannot write \(temporary.path)") }
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw PasswdError("cannot replace \(self.file)")
        }
    }
}

/// Why `passwd` changed nothing, in words.
struct PasswdError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
