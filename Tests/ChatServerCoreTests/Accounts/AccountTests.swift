import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import Foundation
import NIOCore
import Testing

@testable import ChatServerCore

#if canImport(Glibc)
    import Glibc
#endif

/// Accounts on real sockets and as processes: every way a login can go, the throttle, reloads,
/// `chatserver passwd`, `chatclient`'s password.
@Suite("Accounts on the wire")
struct AccountTests {
    /// The first frame's text after `body` is sent as `name`'s Connect.
    private static func answer(to body: String, as name: String, port: Int) async throws -> String {
        let client = try await TestClient.connect(port: port)
        defer { Task { await client.close() } }
        try await client.send(to: "-SERVER-", from: name, body)
        return try await client.next().text
    }

    @Test("Right password: in; wrong, missing or unknown id: one and the same answer, then closed")
    func logins() async throws {
        let users = try UsersFile.make(["alice": "open sesame"])
        defer { UsersFile.remove(users) }
        try await withServer(usersFile: users) { server in
            #expect(
                try await Self.answer(to: "Connect alice open sesame", as: "alice", port: server.port) == "Connected 5")
            for (body, name) in [
                ("Connect alice open sesam", "alice"), ("Connect alice", "alice"),
                ("Connect mallory open sesame", "mallory"),
            ] {
                let client = try await TestClient.connect(port: server.port)
                try await client.send(to: "-SERVER-", from: name, body)
                #expect(try await client.next().text == "Error authentication failed", "\(body)")
                try await client.awaitClosed()
            }
        }
    }

    @Test(
        "Five failed logins from an address: the next Connect is refused, right password or not, until the window has passed"
    )
    func throttled() async throws {
        let users = try UsersFile.make(["alice": "pw"])
        defer { UsersFile.remove(users) }
        let clock = ManualServerClock()
        try await withServer(clock: clock, usersFile: users) { server in
            for _ in 0..<5 {
                let answer = try await Self.answer(to: "Connect alice nope", as: "alice", port: server.port)
                #expect(answer == "Error authentication failed")
            }
            #expect(
                try await Self.answer(to: "Connect alice pw", as: "alice", port: server.port)
                    == "Error too many failed logins")
            await clock.advance(by: .seconds(60))
            #expect(try await Self.answer(to: "Connect alice pw", as: "alice", port: server.port) == "Connected 5")
        }
    }

    @Test("Reload: a new account works at once, a bad file leaves the accounts in force, connected clients stay")
    func reload() async throws {
        let users = try UsersFile.make(["alice": "a"])
        defer { UsersFile.remove(users) }
        try await withServer(usersFile: users) { server in
            let alice = try await TestClient.connect(port: server.port)
            try await alice.send(to: "-SERVER-", from: "alice", "Connect alice a")
            #expect(try await alice.next().text == "Connected 5")
            try UsersFile.write(["bob": "b"], to: users)
            #expect(server.reload())
            #expect(try await Self.answer(to: "Connect bob b", as: "bob", port: server.port) == "Connected 5")
            #expect(
                try await Self.answer(to: "Connect alice a", as: "alice", port: server.port)
                    == "Error authentication failed")
            try "bob:not a hash\n".write(toFile: users, atomically: true, encoding: .utf8)
            #expect(!server.reload())
            #expect(
                try await Self.answer(to: "Connect bob b", as: "bob", port: server.port) == "Connected 5",
                "the old accounts stay")
            try await alice.send(to: "-SERVER-", from: "alice", "List")
            #expect(try await alice.nextList().contains("alice"), "a connected client stays")
            await alice.close()
        }
    }

    @Test("Without --users a password in Connect is ignored")
    func ignoredWithoutUsers() async throws {
        try await withServer { server in
            let answer = try await Self.answer(to: "Connect alice whatever", as: "alice", port: server.port)
            #expect(answer == "Connected 5")
        }
    }

    @Test(
        "chatserver passwd adds, changes and deletes; a running server takes the file on SIGHUP; chatclient logs in with its password"
    )
    func passwdAndSighup() async throws {
        let users = try UsersFile.make([:]) + ".new"  // passwd makes it
        defer { UsersFile.remove(users) }
        func passwd(_ arguments: [String], input: String?) async throws -> (Int32, String) {
            let program = try await ProgramProcess("chatserver", ["passwd"] + arguments)
            if let input { program.type(input) }
            program.closeInput()
            let code = try await program.waitForExit()
            return (code, program.stdout + program.stderr)
        }
        #expect(try await passwd([users, "alice"], input: "first") == (0, "added 'alice' to \(users)\n"))
        #expect(try await passwd([users, "alice"], input: "second").0 == 0)
        #expect(try String(contentsOfFile: users, encoding: .utf8).contains("alice:$scrypt$ln=15,r=8,p=1$"))
        let attributes = try FileManager.default.attributesOfItem(atPath: users)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try await passwd([users, "bad name"], input: "x").0 != 0)
        #expect(try await passwd([users, "carol"], input: nil).0 != 0, "no password given: nothing changed")
        let (server, port) = try await startServer(["--users", users])
        defer { server.stop() }
        #expect(try await Self.answer(to: "Connect alice second", as: "alice", port: port) == "Connected 5")
        #expect(try await passwd([users, "bob"], input: "bobs").0 == 0)
        #expect(try await passwd(["--delete", users, "alice"], input: nil).0 == 0)
        server.signal(SIGHUP)
        try await server.waitFor("users file reloaded", inErrors: true)
        #expect(try await Self.answer(to: "Connect bob bobs", as: "bob", port: port) == "Connected 5")
        #expect(
            try await Self.answer(to: "Connect alice second", as: "alice", port: port) == "Error authentication failed")
        let client = try await ProgramProcess(
            "chatclient", ["bob", "--port", "\(port)"], environment: ["CHAT255_PASSWORD": "bobs"])
        defer { client.stop() }
        try await client.waitFor("online (1): bob")
    }

    @Test(
        "A --config reload that names another users file switches to it; one that names a bad file keeps the accounts in force; turning accounts off waits for a restart"
    )
    func usersFileRenamed() async throws {
        let first = try UsersFile.make(["alice": "a"])
        let second = try UsersFile.make(["bob": "b"])
        defer {
            UsersFile.remove(first)
            UsersFile.remove(second)
        }
        let config = first + ".json"
        func reload(_ text: String, then line: String, in server: ProgramProcess) async throws {
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let mark = server.stderr.utf8.count
            server.signal(SIGHUP)
            try await server.waitFor(line, inErrors: true, since: mark)
        }
        try #"{"users": "\#(first)"}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let (server, port) = try await startServer(["--config", config])
        defer { server.stop() }
        #expect(try await Self.answer(to: "Connect alice a", as: "alice", port: port) == "Connected 5")
        try await reload(#"{"users": "\#(second)"}"#, then: "users file reloaded", in: server)
        #expect(server.stderr.contains("applied=users"))
        #expect(try await Self.answer(to: "Connect bob b", as: "bob", port: port) == "Connected 5")
        #expect(try await Self.answer(to: "Connect alice a", as: "alice", port: port) == "Error authentication failed")
        try await reload(#"{"users": "/nonexistent/users"}"#, then: "users file not reloaded", in: server)
        #expect(try await Self.answer(to: "Connect bob b", as: "bob", port: port) == "Connected 5", "bob's file stays")
        try await reload("{}", then: "configuration file reloaded", in: server)
        #expect(server.stderr.contains("needs-restart=users"))
        #expect(
            try await Self.answer(to: "Connect alice a", as: "alice", port: port) == "Error authentication failed",
            "accounts stay on until a restart")
    }

    @Test("--users on a non-loopback address without TLS: chatserver refuses to start, unless told to allow it")
    func plaintextGuard() async throws {
        let users = try UsersFile.make(["alice": "a"])
        defer { UsersFile.remove(users) }
        let refused = try await ProgramProcess("chatserver", ["--host", "0.0.0.0", "--port", "0", "--users", users])
        #expect(try await refused.waitForExit() != 0)
        #expect(refused.stderr.contains("--allow-plaintext-passwords"))
        let allowed = try await ProgramProcess(
            "chatserver", ["--host", "0.0.0.0", "--port", "0", "--users", users, "--allow-plaintext-passwords"])
        defer { allowed.stop() }
        try await allowed.waitFor("listening", inErrors: true)
    }
}
