import ChatServerCore
import ChatTestSupport
import ChatWireTestSupport
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `--log-format json`: what a log shipper reads.
@Suite("Operations: JSON logs")
struct LogFormatTests {
    @Test("chatserver --log-format json: every line of standard error is one JSON object; SIGTERM drains and exits 0")
    func jsonLines() async throws {
        let (server, port) = try await startServer(["--log-format", "json", "--metrics-address", "127.0.0.1:0"])
        defer { server.stop() }
        let alice = try await TestClient.online("alice", port: port)
        try await alice.send(to: "-SERVER-", from: "alice", "Quit alice")
        try await alice.awaitClosed()
        try await server.waitFor("client left", inErrors: true)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        let lines = server.stderr.split(separator: "\n")
        #expect(lines.count >= 4)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not one JSON object: \(line)")
            objects.append(object ?? [:])
        }
        for object in objects {
            #expect(object["time"] is String && object["level"] is String && object["message"] is String)
            #expect(object["label"] as? String == "chatserver")
        }
        #expect(objects.contains { $0["message"] as? String == "client joined" && $0["client"] as? String == "alice" })
        #expect(
            objects.contains {
                ($0["message"] as? String)?.hasPrefix("operations endpoint on http://127.0.0.1:") == true
            })
    }

    @Test("The handler escapes what JSON needs escaped, keeps its own keys first, and adds the metadata")
    func escaping() throws {
        let lines = NIOLockedValueBox<[String]>([])
        var handler = JSONLogHandler(label: "test") { line in lines.withLockedValue { $0.append(line) } }
        handler.metadata = ["node": "n1"]
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = .debug
        logger.info("a \"quoted\"\nline\u{1}", metadata: ["message": "not replaced", "peer": "1.2.3.4"])
        let line = try #require(lines.withLockedValue { $0.first })
        #expect(line.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["message"] == "a \"quoted\"\nline\u{1}")
        #expect(object["level"] == "info")
        #expect(object["node"] == "n1" && object["peer"] == "1.2.3.4")
    }
}

/// The operations endpoint's address, as a process sees it.
@Suite("Operations: the endpoint's address")
struct OperationsAddressTests {
    @Test("A --metrics-address already in use stops chatserver before it serves, naming the address")
    func addressInUse() async throws {
        let (first, _) = try await startServer(["--metrics-address", "127.0.0.1:0"])
        defer { first.stop() }
        try await first.waitFor("operations endpoint on http://127.0.0.1:", inErrors: true)
        guard let range = first.stderr.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression),
            let port = first.stderr[range].split(separator: ":").last
        else { throw TestFailure("no operations port in: \(first.stderr)") }
        let second = try await ProgramProcess("chatserver", ["--port", "0", "--metrics-address", "127.0.0.1:\(port)"])
        defer { second.stop() }
        #expect(try await second.waitForExit() == 1)
        #expect(second.stderr.contains("cannot serve --metrics-address 127.0.0.1:\(port)"))
        #expect(!second.stderr.contains("listening on"))
    }
}

/// `chatserver --print-config`.
@Suite("Operations: the configuration in force")
struct PrintConfigTests {
    @Test(
        "--print-config prints every option's value as JSON keyed by its long name, the cluster's password masked, and exits 0 without serving"
    )
    func printed() async throws {
        let process = try await ProgramProcess(
            "chatserver",
            [
                "--print-config", "--port", "7300", "--max-clients", "2", "--alive-interval", "0.5", "--log-level",
                "debug", "--cluster", "redis://:s3cret@127.0.0.1:6379", "--metrics-address", "127.0.0.1:9255",
            ])
        defer { process.stop() }
        #expect(try await process.waitForExit() == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(process.stdout.utf8)) as? [String: Any])
        #expect(object["port"] as? Int == 7300)
        #expect(object["max-clients"] as? Int == 2)
        #expect(object["alive-interval"] as? Double == 0.5)
        #expect(object["alive-timeout"] as? Double == 1.5, "the timeout in force: 3 × the interval")
        #expect(object["log-level"] as? String == "debug")
        #expect(object["metrics-address"] as? String == "127.0.0.1:9255")
        #expect(object["tls-cert"] is NSNull)
        #expect(object["drain-timeout"] as? Double == 10)
        #expect(!process.stdout.contains("s3cret"), "the cluster's password is masked")
        #expect((object["cluster"] as? String)?.contains("127.0.0.1:6379") == true)
        #expect(!process.stderr.contains("listening"))
    }

    @Test("Every option of chatserver --help is a key of --print-config (and so of --config files), and no other")
    func everyOption() async throws {
        let help = try await ProgramProcess("chatserver", ["--help"])
        defer { help.stop() }
        #expect(try await help.waitForExit() == 0)
        let range = NSRange(help.stdout.startIndex..., in: help.stdout)
        let options = Set(
            try NSRegularExpression(pattern: "--([a-z][a-z-]*)").matches(in: help.stdout, range: range).compactMap {
                Range($0.range(at: 1), in: help.stdout).map { String(help.stdout[$0]) }
            })
        let printer = try await ProgramProcess("chatserver", ["--print-config"])
        defer { printer.stop() }
        #expect(try await printer.waitForExit() == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(printer.stdout.utf8)) as? [String: Any])
        #expect(options.count > 25)
        #expect(Set(object.keys) == options.subtracting(["help", "config", "print-config"]))
    }
}

/// `chatserver --config FILE` and `CHAT255_*` variables (apple/swift-configuration).
@Suite("Operations: the configuration file and the environment")
struct ConfigFileTests {
    /// A file holding `text`, in a fresh folder (`TemporaryFolder`), which the test removes.
    private static func file(_ text: String) throws -> String {
        let path = try TemporaryFolder("chat255-config").file("chatserver.json")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// What `--print-config` says with `arguments` and `environment`.
    private static func printed(_ arguments: [String], environment: [String: String] = [:]) async throws -> [String:
        Any]
    {
        let process = try await ProgramProcess("chatserver", ["--print-config"] + arguments, environment: environment)
        defer { process.stop() }
        #expect(try await process.waitForExit() == 0, "stderr: \(process.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(process.stdout.utf8)) as? [String: Any])
    }

    @Test("Every kind of value from the file; the command line wins over the file, the file over the environment")
    func precedence() async throws {
        let path = try Self.file(
            """
            {"max-clients": 2, "alive-interval": 0.5, "log-level": "debug", "allow-plaintext-passwords": true,
             "host": "127.0.0.1", "max-clients-per-ip": 5, "metrics-address": "127.0.0.1:9255", "threads": null}
            """)
        defer { TemporaryFolder.remove(holding: path) }
        let fromFile = try await Self.printed(
            ["--config", path], environment: ["CHAT255_MAX_CLIENTS": "7", "CHAT255_PORT": "7311"])
        #expect(fromFile["max-clients"] as? Int == 2, "the file over the environment")
        #expect(fromFile["port"] as? Int == 7311, "the environment where the file is silent")
        #expect(fromFile["alive-interval"] as? Double == 0.5)
        #expect(fromFile["log-level"] as? String == "debug")
        #expect(fromFile["allow-plaintext-passwords"] as? Bool == true)
        #expect(fromFile["max-clients-per-ip"] as? Int == 5)
        #expect(fromFile["metrics-address"] as? String == "127.0.0.1:9255")
        let overridden = try await Self.printed(
            ["--config", path, "--max-clients", "3"], environment: ["CHAT255_MAX_CLIENTS": "7"])
        #expect(overridden["max-clients"] as? Int == 3, "the command line over the file")
        let environment = try await Self.printed(
            [], environment: ["CHAT255_MAX_CLIENTS": "9", "CHAT255_DRAIN_TIMEOUT": "2.5"])
        #expect(environment["max-clients"] as? Int == 9)
        #expect(environment["drain-timeout"] as? Double == 2.5)
    }

    @Test(
        "A bad file or variable stops chatserver before it listens, naming the key",
        arguments: [
            (#"{"max-clients": 2, "max-client": 3}"#, [:], "unknown key 'max-client'"),
            (#"{"max-clients": "two"}"#, [:], "'max-clients' must be a whole number"),
            (#"{"alive-interval": "soon"}"#, [:], "'alive-interval' must be a number"),
            (#"{"log-level": 3}"#, [:], "'log-level' must be a string"),
            (#"{"max-clients": true}"#, [:], "'max-clients' must be a whole number"),
            (#"{"max-clients": 2.5}"#, [:], "'max-clients' must be a whole number"),
            (#"{"alive-interval": false}"#, [:], "'alive-interval' must be a number"),
            (#"{"allow-plaintext-passwords": 1}"#, [:], "'allow-plaintext-passwords' must be true or false"),
            (#"{"host": ["127.0.0.1"]}"#, [:], "'host' must be a string"),
            ("{\"max-clients\": 2,\n \"alive-interval\": }", [:], "not JSON at line 2"),
            (#"[1, 2]"#, [:], "must be one JSON object"),
            (#"{}"#, ["CHAT255_MAX_CLIENTS": "lots"], "CHAT255_MAX_CLIENTS must be a whole number"),
            (#"{"log-level": "loud"}"#, [:], "log-level must be trace"),
            (#"{"max-clients": 0}"#, [:], "--max-clients must be"),
        ] as [(String, [String: String], String)])
    func badSources(text: String, environment: [String: String], why: String) async throws {
        let path = try Self.file(text)
        defer { TemporaryFolder.remove(holding: path) }
        let process = try await ProgramProcess(
            "chatserver", ["--port", "0", "--config", path], environment: environment)
        defer { process.stop() }
        #expect(try await process.waitForExit() != 0)
        #expect(process.stderr.contains(why), "stderr: \(process.stderr)")
        #expect(!process.stderr.contains("listening"))
    }

    @Test(
        "SIGHUP reads the file again: the log level applies at once, an interval waits for a restart, a bad file changes nothing"
    )
    func reloadOnHangup() async throws {
        // A patient alive timeout in the file (alice sends no Alive), which the new interval changes.
        let path = try Self.file(#"{"log-level": "info", "alive-timeout": 600}"#)
        defer { TemporaryFolder.remove(holding: path) }
        let (server, port) = try await startServer(["--config", path], patientAliveTimeout: false)
        defer { server.stop() }
        try #"{"log-level": "debug", "alive-interval": 2}"#.write(toFile: path, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try await server.waitFor("configuration file reloaded", inErrors: true)
        #expect(server.stderr.contains("applied=log-level"))
        #expect(server.stderr.contains("needs-restart=alive-interval,alive-timeout"))
        let alice = try await TestClient.online("alice", port: port)
        try await alice.send(to: "alice", from: "alice", "hello")
        #expect(try await alice.nextSkippingLists().text == "hello")
        try await server.waitFor(" debug ", inErrors: true)  // the frame, logged at the new level
        try #"{"log-level": "loud"}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let before = server.stderr.utf8.count
        server.signal(SIGHUP)
        try await server.waitFor("configuration file not reloaded", inErrors: true, since: before)
        let bob = try await TestClient.online("bob", port: port)
        try await alice.awaitList(["alice", "bob"])
        await alice.close()
        await bob.close()
    }

    @Test(
        "SIGHUP applies limits live: a lower --max-clients refuses the next newcomer, a rate set paces a client online already, a rate lifted stops pacing; nobody is disconnected"
    )
    func limitsOnHangup() async throws {
        let path = try Self.file(#"{"max-clients": 5}"#)
        defer { TemporaryFolder.remove(holding: path) }
        // alice sends no Alive: on a busy machine this test outlasts the default alive timeout.
        let (server, port) = try await startServer([
            "--config", path, "--metrics-address", "127.0.0.1:0", "--alive-timeout", "600",
        ])
        defer { server.stop() }
        let metricsPort = try #require(server.operationsPort, "no operations endpoint in: \(server.stderr)")
        let alice = try await TestClient.online("alice", port: port)
        let frames = (1...50).flatMap { wireFrame("alice", "alice", "\($0)") }

        func reload(_ text: String) async throws {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let before = server.stderr.utf8.count
            server.signal(SIGHUP)
            try await server.waitFor("configuration file reloaded", inErrors: true, since: before)
        }
        func flood() async throws -> Double {
            let before = try await PrometheusText.scrape(port: metricsPort)["chat255_flood_throttled_total"]
            try await alice.sendRaw(frames)
            for number in 1...50 { #expect(try await alice.nextSkippingLists().text == "\(number)") }
            return try await PrometheusText.scrape(port: metricsPort)["chat255_flood_throttled_total"] - before
        }

        #expect(try await flood() == 0, "no rate: never paused")
        try await reload(#"{"max-clients": 1, "max-msgs-per-sec": 100, "max-burst": 5}"#)
        #expect(server.stderr.contains("applied=max-burst,max-clients,max-msgs-per-sec"))
        #expect(server.stderr.contains("max-clients 5 -> 1"), "the change is logged with its values")
        #expect(try await flood() >= 1, "50 frames against a burst of 5: paused, and every frame delivered")
        let bob = try await TestClient.connect(port: port)
        try await bob.send(to: "-SERVER-", from: "bob", "Connect bob")
        #expect(try await bob.next().text == "Error the server is full (1 clients)")
        try await reload(#"{"max-clients": 1}"#)
        #expect(try await flood() == 0, "the rate lifted: never paused again")
        try await alice.send(to: "alice", from: "alice", "still here")
        #expect(try await alice.nextSkippingLists().text == "still here")
        await alice.close()
        await bob.close()
    }

    @Test("A missing file is an error naming it")
    func missingFile() async throws {
        let process = try await ProgramProcess("chatserver", ["--port", "0", "--config", "/nonexistent/chat.json"])
        defer { process.stop() }
        #expect(try await process.waitForExit() != 0)
        #expect(process.stderr.contains("/nonexistent/chat.json"))
    }
}
