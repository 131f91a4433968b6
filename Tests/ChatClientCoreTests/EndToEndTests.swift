import ChatTestSupport
import ChatWireTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The built `chatserver` and several `chatclient` processes with piped standard input.
@Suite("End to end: the programs", .serialized)
struct EndToEndTests {
    @Test("a conversation, a broadcast, an Offline target, a join and a leave seen by the others")
    func conversation() async throws {
        let (server, port) = try await startServer(["--alive-interval", "0.5"])
        defer { server.stop() }
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        try await alice.waitFor("online (1): alice")
        let bob = try await ProgramProcess("chatclient", ["bob", "--port", "\(port)"])
        defer { bob.stop() }
        try await alice.waitFor("joined: bob")
        try await bob.waitFor("online (2): alice bob")

        alice.type("(bob) hi bob, this is alice")
        try await bob.waitFor("alice: hi bob, this is alice")
        bob.type("(alice) hello alice")
        try await alice.waitFor("bob: hello alice")

        let carol = try await ProgramProcess("chatclient", ["carol", "--port", "\(port)"])
        defer { carol.stop() }
        try await bob.waitFor("joined: carol")
        alice.type("(ALL) hello everyone")
        try await bob.waitFor("alice (to ALL): hello everyone")
        try await carol.waitFor("alice (to ALL): hello everyone")
        try await Task.sleep(for: .milliseconds(200))
        #expect(!alice.stdout.contains("alice (to ALL)"))

        alice.type("(dave) anyone?")
        try await alice.waitFor("* dave is not online")
        alice.type("@list")
        try await alice.waitFor("online (3): alice bob carol\n")
        alice.type("nonsense")
        try await alice.waitFor("type (name) message", inErrors: true)

        carol.type("@Quit")
        #expect(try await carol.waitForExit() == 0)
        try await alice.waitFor("left: carol")
        try await bob.waitFor("left: carol")

        // End of input quits like @Quit, after sending what came before it.
        bob.type("(alice) last words")
        bob.closeInput()
        #expect(try await bob.waitForExit() == 0)
        try await alice.waitFor("bob: last words")
        try await alice.waitFor("left: bob")
        alice.closeInput()
        #expect(try await alice.waitForExit() == 0)
    }

    @Test("a client killed with SIGKILL is retired by the server and the others are told")
    func killedClient() async throws {
        let (server, port) = try await startServer(["--alive-interval", "0.5"])
        defer { server.stop() }
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        try await alice.waitFor("online (1): alice")
        let bob = try await ProgramProcess("chatclient", ["bob", "--port", "\(port)"])
        defer { bob.stop() }
        try await alice.waitFor("joined: bob")
        bob.signal(SIGKILL)
        try await alice.waitFor("left: bob")
        try await server.waitFor("client left", inErrors: true)
    }

    @Test("SIGTERM stops the server gracefully: clients are told and exit 1, the server exits 0")
    func serverShutdown() async throws {
        let (server, port) = try await startServer()
        defer { server.stop() }
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        try await alice.waitFor("online (1): alice")
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        try await alice.waitFor("server error: server shutting down", inErrors: true)
        try await alice.waitFor("lost the server", inErrors: true)
        #expect(try await alice.waitForExit() == 1)
    }

    @Test("SIGINT quits a client the way @Quit does")
    func clientInterrupted() async throws {
        let (server, port) = try await startServer()
        defer { server.stop() }
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        try await alice.waitFor("online (1): alice")
        alice.signal(SIGINT)
        #expect(try await alice.waitForExit() == 0)
        try await server.waitFor("reason=quit", inErrors: true)
    }

    @Test(
        "a bad id exits 64 before connecting; no server or a taken id exit 1",
        arguments: ["", "ALL", "-SERVER-", "toolongname", "a b", "tab\t"])
    func badIds(id: String) async throws {
        let client = try await ProgramProcess("chatclient", ["--port", "1", "--", id])
        defer { client.stop() }
        #expect(try await client.waitForExit() == 64)
        #expect(client.stderr.contains("invalid id"))
    }

    @Test("no server, or an id already online: the reason on stderr and exit 1")
    func refused() async throws {
        let lonely = try await ProgramProcess("chatclient", ["alice", "--port", "1"])
        defer { lonely.stop() }
        #expect(try await lonely.waitForExit() == 1)
        #expect(lonely.stderr.contains("cannot reach the server"))

        let (server, port) = try await startServer()
        defer { server.stop() }
        let alice = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { alice.stop() }
        try await alice.waitFor("online (1): alice")
        let impostor = try await ProgramProcess("chatclient", ["alice", "--port", "\(port)"])
        defer { impostor.stop() }
        #expect(try await impostor.waitForExit() == 1)
        #expect(impostor.stderr.contains("already online"))
    }

    @Test(
        "chatserver refuses bad options with a message and a non-zero exit",
        arguments: [
            ["--alive-interval", "-1"], ["--alive-interval", "2", "--alive-timeout", "1"], ["--port", "70000"],
            ["--max-clients", "0"], ["--host", "256.1.1.1"], ["--log-level", "loud"],
            ["--max-clients", "9223372036854775807"], ["--threads", "100000"], ["--threads", "0"],
            ["--metrics-address", "nonsense"], ["--metrics-address", "127.0.0.1:70000"], ["--drain-timeout", "0"],
            ["--log-format", "xml"],
        ])
    func serverBadOptions(arguments: [String]) async throws {
        let server = try await ProgramProcess(
            "chatserver", arguments + (arguments.contains("--port") ? [] : ["--port", "0"]))
        defer { server.stop() }
        #expect(try await server.waitForExit() != 0)
        #expect(!server.stderr.isEmpty)
        #expect(!server.stderr.contains("listening"))
    }
}

/// chatbench's arguments: out of range, not numbers, or beyond what its arithmetic holds, each a
/// message and exit code 64 before any connection is tried.
@Test(
    "chatbench refuses bad options with a message and exit code 64",
    arguments: [
        ["relay", "--pairs", "0"], ["relay", "--size", "240"], ["relay", "--window", "9223372036854775807"],
        ["relay", "--rate", "1e308"], ["relay", "--rate", "0"], ["relay", "--seconds", "-1"],
        ["relay", "--threads", "100000"], ["fanout", "--clients", "1"], ["fanout", "--rate", "nan"],
        ["connections", "--clients", "100001"], ["joinstorm", "--clients", "x"], ["storm"],
    ])
func chatbenchBadOptions(arguments: [String]) async throws {
    let bench = try await ProgramProcess("chatbench", arguments + ["--port", "1"])
    defer { bench.stop() }
    #expect(try await bench.waitForExit() == 64)
    #expect(bench.stderr.contains("Error:"))
    #expect(!bench.stderr.contains("cannot reach the server"))
}

/// More event loops than the open-file limit has descriptors for: a clear error, not SwiftNIO's
/// fatal error when a loop cannot get its own.
@Test("chatserver --threads beyond what the open-file limit allows is refused with a message")
func tooManyThreadsForTheLimit() async throws {
    let server = try await ProgramProcess.limited(fileLimit: 64, "chatserver", ["--port", "0", "--threads", "30"])
    defer { server.stop() }
    #expect(try await server.waitForExit() == 1)
    #expect(server.stderr.contains("--threads 30 needs 90 descriptors"))
    #expect(!server.stderr.contains("listening"))
    #expect(!server.stderr.contains("Fatal error"))
}

/// The server out of file descriptors: it keeps serving the clients it has, and accepts again
/// once descriptors are free.
@Suite("End to end: running out of file descriptors", .serialized)
struct DescriptorExhaustionTests {
    @Test("with a limit of 64 descriptors: the first clients are served, the rest wait, and get in when others leave")
    func exhaustion() async throws {
        // A hard limit the server cannot raise; it warns about it at start.
        let server = try await ProgramProcess.limited(
            fileLimit: 64, "chatserver",
            ["--port", "0", "--max-clients", "100", "--alive-interval", "60", "--connect-timeout", "600"])
        defer { server.stop() }
        try await server.waitFor("listening", inErrors: true)
        #expect(server.stderr.contains("the open file limit cannot be raised to what --max-clients needs"))
        guard let range = server.stderr.range(of: #"listening on [^ \n]*:\d+"#, options: .regularExpression),
            let port = Int(server.stderr[range].split(separator: ":").last ?? "")
        else { throw TestFailure("no port") }

        // 80 connections: some 50 fit, the rest sit in the listen queue unanswered.
        var clients: [(TestClient, String)] = []
        for index in 0..<80 {
            let client = try await TestClient.connect(port: port)
            try await client.send(to: "-SERVER-", from: "c\(index)", "Connect c\(index)")
            clients.append((client, "c\(index)"))
        }
        var online: [(TestClient, String)] = []
        var waiting: [(TestClient, String)] = []
        for (client, name) in clients {
            if let frame = try? await client.next(timeout: .milliseconds(200)), frame.text.hasPrefix("Connected") {
                online.append((client, name))
            } else {
                waiting.append((client, name))
            }
        }
        #expect(online.count >= 20)
        #expect(!waiting.isEmpty)
        // The clients it has are served all along.
        let (first, firstName) = online[0]
        try await first.send(to: "nobody", from: firstName, "still there?")
        #expect(try await first.nextSkippingLists().text == "Offline nobody")
        // Free descriptors: the waiting clients get in.
        for (client, _) in online.dropFirst() { await client.close() }
        for (client, _) in waiting.prefix(10) {
            let frame = try await client.nextSkippingLists(timeout: .seconds(10))
            #expect(frame.text.hasPrefix("Connected"))
        }
        for (client, _) in clients { await client.close() }
    }
}
