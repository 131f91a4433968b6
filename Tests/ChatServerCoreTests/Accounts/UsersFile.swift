import ChatTestSupport
import ChatWire
import Foundation

@testable import ChatServerCore

/// Users files for the tests, with cheap hashes (the tests are about the rules, not the cost).
enum UsersFile {
    /// A users file in a fresh folder (`TemporaryFolder`) with `accounts` (name: password);
    /// `remove` takes the folder away.
    static func make(_ accounts: [String: String]) throws -> String {
        let path = try TemporaryFolder("chat255-users").file("users")
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
    static func remove(_ path: String) { TemporaryFolder.remove(holding: path) }
}
