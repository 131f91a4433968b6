import ArgumentParser
import ChatServerCore
import ChatSystem
import ChatWire
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

#if canImport(Glibc)
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    private let systemWrite = Darwin.write
#endif

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
        do {
            return try UserDirectory.load(self.file)
        } catch {
            throw PasswdError("\(self.file): \(error); nothing changed")
        }
    }

    /// Writes the file whole: a new file beside it (created 0600, given the old file's owner,
    /// group and mode), flushed to disk, then renamed over the old one; a crash leaves the old
    /// file or the new one, never half of one.
    private func write(_ directory: UserDirectory) throws {
        let url = URL(fileURLWithPath: self.file)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw PasswdError("cannot write \(temporary): \(Self.lastError())") }
        var written = false
        defer {
            close(descriptor)
            if !written { unlink(temporary) }
        }
        var old = stat()
        if stat(self.file, &old) == 0 {
            _ = fchown(descriptor, old.st_uid, old.st_gid)
            _ = fchmod(descriptor, old.st_mode & 0o7777)
        }
        let bytes = Array(directory.text.utf8)
        var offset = 0
        while offset < bytes.count {
            // POSIX write (Foundation's names do not take a descriptor and a pointer).
            let count = bytes[offset...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw PasswdError("cannot write \(temporary): \(Self.lastError())") }
            offset += count
        }
        guard fsync(descriptor) == 0 else { throw PasswdError("cannot flush \(temporary): \(Self.lastError())") }
        guard rename(temporary, self.file) == 0 else {
            throw PasswdError("cannot replace \(self.file): \(Self.lastError())")
        }
        written = true
    }

    private static func lastError() -> String {
        String(cString: strerror(errno)).lowercased()
    }
}

/// Why `passwd` changed nothing, in words.
struct PasswdError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
