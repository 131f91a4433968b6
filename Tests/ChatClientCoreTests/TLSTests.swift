import ChatClientCore
import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// TLS with real certificates (Tests/Fixtures/tls): the handshake, every way verification
/// fails, client certificates, plain and TLS side by side, reloading the certificate.
@Suite("TLS")
struct TLSTests {
    private static let server = TLSServerSettings(
        certificateFile: TLSFixtures.path("server.pem"), keyFile: TLSFixtures.path("server.key"))
    private static let trusting = ClientTLS(caFile: TLSFixtures.path("ca.pem"))

    /// What connecting as `id` with `tls` gives: "connected", or the error's text.
    private static func attempt(_ id: String, port: Int, tls: ClientTLS?, host: String = "127.0.0.1") async -> String {
        do {
            let session = try await ChatSession.connect(
                id: try ChatName(validating: id), host: host, port: port, timeout: Patience.guardTime, tls: tls)
            await session.close()
            return "connected"
        } catch {
            return "\(error)"
        }
    }

    @Test("The handshake: a client that trusts the CA connects and chats; TLS 1.2 and 1.3 only")
    func handshake() async throws {
        try await withServer(tls: Self.server) { server in
            #expect(try await Self.presented(port: server.port, upTo: .tlsv12) == "localhost")
            await #expect(throws: (any Error).self, "TLS 1.1 is refused") {
                _ = try await Self.presented(port: server.port, upTo: .tlsv11)
            }
            let alice = try await ChatSession.connect(
                id: try ChatName(validating: "alice"), host: "127.0.0.1", port: server.port,
                timeout: Patience.guardTime, tls: Self.trusting)
            let bob = try await ChatSession.connect(
                id: try ChatName(validating: "bob"), host: "localhost", port: server.port, timeout: Patience.guardTime,
                tls: Self.trusting)
            try await alice.send("over TLS", to: try ChatName(validating: "bob"))
            var got: String?
            for await event in bob.events {
                if case .message(let from, let text, _) = event, from.text == "alice" {
                    got = text
                    break
                }
            }
            #expect(got == "over TLS")
            await alice.close()
            await bob.close()
        }
    }

    @Test(
        "Verification fails, clearly, for a server certificate from another CA, an expired one, and one for another name"
    )
    func verificationFailures() async throws {
        try await withServer(tls: Self.server) { server in
            let other = ClientTLS(caFile: TLSFixtures.path("other-ca.pem"))
            #expect(await Self.attempt("alice", port: server.port, tls: other).contains("could not be verified"))
            #expect(
                await Self.attempt("alice", port: server.port, tls: ClientTLS()).contains("could not be verified"),
                "the system's roots do not know the test CA")
            let plain = await Self.attempt("alice", port: server.port, tls: nil)
            #expect(plain != "connected", "a plain client gets nowhere on a TLS listener")
        }
        let expired = TLSServerSettings(
            certificateFile: TLSFixtures.path("expired.pem"), keyFile: TLSFixtures.path("expired.key"))
        try await withServer(tls: expired) { server in
            #expect(
                await Self.attempt("alice", port: server.port, tls: Self.trusting).contains("could not be verified"))
        }
        let elsewhere = TLSServerSettings(
            certificateFile: TLSFixtures.path("wrong-name.pem"), keyFile: TLSFixtures.path("wrong-name.key"))
        try await withServer(tls: elsewhere) { server in
            #expect(await Self.attempt("alice", port: server.port, tls: Self.trusting).contains("not for this name"))
            #expect(
                await Self.attempt("alice", port: server.port, tls: Self.trusting, host: "localhost")
                    .contains("not for this name"))
            var named = Self.trusting
            named.serverName = "chat.example.org"
            #expect(await Self.attempt("alice", port: server.port, tls: named) == "connected", "--tls-server-name")
        }
        // The certificate names localhost and 127.0.0.1: the address alone must not pass a name,
        // and nothing (no Connect, no password) reaches a server that failed the check.
        let recorder = try await TLSRecorder.start()
        var wrong = Self.trusting
        wrong.serverName = "wrong.example"
        #expect(
            await Self.attempt("alice", port: recorder.port, tls: wrong)
                .contains("not for 'wrong.example' (it is for localhost)"))
        try await recorder.awaitClosed()
        #expect(recorder.received.isEmpty, "sent before the name was checked: \(recorder.received)")
        await recorder.stop()
    }

    @Test(
        "Client certificates: the id must be one of the certificate's names; no certificate, or one from another CA, gets no handshake"
    )
    func clientCertificates() async throws {
        var settings = Self.server
        settings.clientCAFile = TLSFixtures.path("ca.pem")
        settings.port = 0  // and a plain listener beside: it has no certificate to show
        try await withServer(tls: settings) { server in
            let plain = try await TestClient.connect(port: server.port)
            try await plain.send(to: "-SERVER-", from: "alice", "Connect alice")
            #expect(try await plain.next().text == "Error a client certificate is required: connect with TLS")
            let port = server.localAddresses[1].port ?? 0
            var alice = Self.trusting
            alice.certificateFile = TLSFixtures.path("alice.pem")
            alice.keyFile = TLSFixtures.path("alice.key")
            #expect(await Self.attempt("alice", port: port, tls: alice) == "connected")
            #expect(
                await Self.attempt("bob", port: port, tls: alice)
                    .contains("the id 'bob' is not a name of your certificate"))
            #expect(await Self.attempt("alice", port: port, tls: Self.trusting) != "connected")
            var stranger = Self.trusting
            stranger.certificateFile = TLSFixtures.path("alice-other-ca.pem")
            stranger.keyFile = TLSFixtures.path("alice-other-ca.key")
            #expect(await Self.attempt("alice", port: port, tls: stranger) != "connected")
        }
    }

    @Test("--tls-port: plain TCP on the port and TLS on the other, one chat")
    func sideBySide() async throws {
        var settings = Self.server
        settings.port = 0
        try await withServer(tls: settings) { server in
            #expect(server.localAddresses.count == 2)
            let tlsPort = server.localAddresses[1].port ?? 0
            let plain = try await TestClient.online("plain", port: server.port)
            let secure = try await ChatSession.connect(
                id: try ChatName(validating: "secure"), host: "127.0.0.1", port: tlsPort, timeout: Patience.guardTime,
                tls: Self.trusting)
            try await plain.awaitList(["plain", "secure"])
            try await plain.send(to: "secure", from: "plain", "across")
            var got: String?
            for await event in secure.events {
                if case .message(_, let text, _) = event {
                    got = text
                    break
                }
            }
            #expect(got == "across")
            await secure.close()
            await plain.close()
        }
    }

    /// The certificate the server at `port` presents now, to a client of at most `version`.
    private static func presented(port: Int, upTo version: TLSVersion = .tlsv13) async throws -> String? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv1
        configuration.maximumTLSVersion = version
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(TLSFixtures.path("ca.pem")))
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        defer { channel.close(promise: nil) }
        @Sendable func peerName() throws -> String?? {
            let certificate = try channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
                .peerCertificate
            return certificate.map { $0.subjectName.first { $0.type == .commonName }?.value }
        }
        try await waitUntil("the handshake") {
            let done = try await channel.eventLoop.submit { try peerName() != nil }.get()
            guard done || channel.isActive else { throw TestFailure("the handshake failed: the connection closed") }
            return done
        }
        return try await channel.eventLoop.submit { try peerName() ?? nil }.get()
    }

    /// Copies fixture `name` (its .pem and .key) to `paths`, or to a fresh folder (which the test
    /// removes, `TemporaryFolder.remove(holding:)`); the paths.
    @discardableResult
    private static func installCertificate(
        _ name: String, at paths: (certificate: String, key: String)? = nil
    ) throws -> (certificate: String, key: String) {
        let target: (certificate: String, key: String)
        if let paths {
            target = paths
        } else {
            let folder = try TemporaryFolder("chat255-tls")
            target = (folder.file("cert.pem"), folder.file("key.pem"))
        }
        for (source, destination) in [("\(name).pem", target.certificate), ("\(name).key", target.key)] {
            try? FileManager.default.removeItem(atPath: destination)
            try FileManager.default.copyItem(atPath: TLSFixtures.path(source), toPath: destination)
        }
        return target
    }

    @Test("Reload: a new certificate serves new connections; a bad file is refused and the old one stays")
    func reload() async throws {
        let (certificate, key) = try Self.installCertificate("server")
        defer { TemporaryFolder.remove(holding: certificate) }
        try await withServer(tls: TLSServerSettings(certificateFile: certificate, keyFile: key)) { server in
            #expect(try await Self.presented(port: server.port) == "localhost")
            let open = try await ChatSession.connect(
                id: try ChatName(validating: "stays"), host: "127.0.0.1", port: server.port,
                timeout: Patience.guardTime, tls: Self.trusting)
            try "not a certificate".write(toFile: certificate, atomically: true, encoding: .utf8)
            #expect(!server.reload())
            #expect(try await Self.presented(port: server.port) == "localhost", "the old one stays")
            try Self.installCertificate("server2", at: (certificate, key))
            #expect(server.reload())
            #expect(try await Self.presented(port: server.port) == "localhost (reloaded)")
            try await open.send("still here", to: try ChatName(validating: "stays"))
            var echoed = false
            for await event in open.events {
                if case .message = event {
                    echoed = true
                    break
                }
            }
            #expect(echoed, "a connection opened before the reload is untouched")
            await open.close()
        }
    }

    @Test("A --config reload that names another certificate and key makes new connections get them")
    func certificateRenamed() async throws {
        let first = try Self.installCertificate("server")
        let second = try Self.installCertificate("server2")
        defer {
            TemporaryFolder.remove(holding: first.certificate)
            TemporaryFolder.remove(holding: second.certificate)
        }
        let config = first.certificate + ".json"
        try #"{"tls-cert": "\#(first.certificate)", "tls-key": "\#(first.key)"}"#.write(
            toFile: config, atomically: true, encoding: .utf8)
        let (server, port) = try await startServer(["--config", config])
        defer { server.stop() }
        #expect(try await Self.presented(port: port) == "localhost")
        try #"{"tls-cert": "\#(second.certificate)", "tls-key": "\#(second.key)"}"#.write(
            toFile: config, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try await server.waitFor("TLS certificate reloaded", inErrors: true)
        #expect(server.stderr.contains("applied=tls-cert,tls-key"))
        #expect(try await Self.presented(port: port) == "localhost (reloaded)")
    }

    @Test("SIGHUP reloads the certificate in chatserver; chatclient exits 1 with the reason when verification fails")
    func programs() async throws {
        let (certificate, key) = try Self.installCertificate("server")
        defer { TemporaryFolder.remove(holding: certificate) }
        let (server, port) = try await startServer(["--tls-cert", certificate, "--tls-key", key])
        defer { server.stop() }
        try Self.installCertificate("server2", at: (certificate, key))
        server.signal(SIGHUP)
        try await server.waitFor("TLS certificate reloaded", inErrors: true)
        #expect(try await Self.presented(port: port) == "localhost (reloaded)")
        let client = try await ProgramProcess(
            "chatclient", ["alice", "--port", "\(port)", "--tls", "--tls-ca", TLSFixtures.path("other-ca.pem")])
        #expect(try await client.waitForExit() == 1)
        #expect(client.stderr.contains("could not be verified"))
        let misnamed = try await ProgramProcess(
            "chatclient",
            [
                "alice", "--port", "\(port)", "--tls", "--tls-ca", TLSFixtures.path("ca.pem"), "--tls-server-name",
                "wrong.example",
            ])
        #expect(try await misnamed.waitForExit() == 1, "stdin open: it exits all the same")
        #expect(misnamed.stderr.contains("the server's certificate is not for 'wrong.example'"))
        let trusting = try await ProgramProcess(
            "chatclient", ["alice", "--port", "\(port)", "--tls", "--tls-ca", TLSFixtures.path("ca.pem")])
        defer { trusting.stop() }
        try await trusting.waitFor("online (1): alice")
    }
}
