import ChatWire
import Foundation

@testable import ChatServerCore

/// Users files for the tests, with cheap hashes (the tests are about the rules, not the cost).
enum UsersFile {
    /// A users file in a fresh folder with `accounts` (name: password); `remove` takes it away.
    static func make(_ accounts: [String: String]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chat255-users-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("users").path
        try Self.write(accounts, to: path)
        return path
    }

    /// Writes `accounts` (name: password) to `path`, replacing what it held.
    static func write(_ accounts: [String: String], to path: String) throws {
        var directory = UserDirectory()
        for (name, password) in accounts {
            directory.set(
                try ChatName(validating: name),
                try PasswordHash(
                    password: Array(password.utf8), salt: Array(name.utf8) + [1, 2, 3, 4, 5, 6, 7, 8], logRounds: 10))
        }
        try directory.text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Removes the folder `make` made for `path`.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
    }
}
