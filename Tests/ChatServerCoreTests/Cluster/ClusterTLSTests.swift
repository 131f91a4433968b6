import ChatServerCore
import ChatTestSupport
import ChatWireTestSupport
import Logging
import NIOPosix
import RESP
import Testing

/// The backbone over TLS (`rediss://`) to a real `redis-server --tls-port` that speaks TLS only,
/// with the test certificates: two nodes are one chat through it; a certificate that does not
/// verify, a missing client certificate, or TLS settings without `rediss://` stop the server
/// before it listens, saying why.
@Suite("Cluster: TLS to Redis")
struct ClusterTLSTests {
    /// Node `id`'s configuration for `redis`, verifying against `ca` and showing alice's
    /// certificate unless `clientCertificate` is false.
    private static func configuration(
        redis: RedisServer, id: String, ca: String = "ca.pem", clientCertificate: Bool = true
    ) throws -> ClusterConfiguration {
        var cluster = try ClusterNodes.configuration(redis: redis, id: id, lease: Patience.scaled(.seconds(10)))
        cluster.tlsCAFile = TLSFixtures.path(ca)
        if clientCertificate {
            cluster.tlsCertificateFile = TLSFixtures.path("alice.pem")
            cluster.tlsKeyFile = TLSFixtures.path("alice.key")
        }
        return cluster
    }

    @Test(
        "Two nodes through a Redis that speaks only TLS and asks for client certificates: one list, messages both ways")
    func twoNodes() async throws {
        let redis = try await RedisServer.tls(clientCertificates: true)
        defer { redis.stop() }
        #expect(redis.url.hasPrefix("rediss://"))
        try await withServer(cluster: try Self.configuration(redis: redis, id: "a")) { a in
            try await withServer(cluster: try Self.configuration(redis: redis, id: "b")) { b in
                let (alice, bob) = try await TestClient.aliceAndBob(port: a.port, bobPort: b.port)
                try await bob.awaitList(["alice", "bob"])
                try await alice.send(to: "bob", from: "alice", "over TLS to Redis")
                #expect(try await bob.nextSkippingLists().text == "over TLS to Redis")
                try await bob.send(to: "ALL", from: "bob", "and back")
                #expect(try await alice.nextSkippingLists().text == "and back")
                await alice.close()
                await bob.close()
            }
        }
    }

    @Test(
        "A Redis certificate from another CA, no client certificate where Redis asks for one, rediss:// to a plain Redis: the server does not start, and says TLS failed"
    )
    func refused() async throws {
        let redis = try await RedisServer.tls(clientCertificates: true)
        defer { redis.stop() }
        for (configuration, what) in [
            (try Self.configuration(redis: redis, id: "a", ca: "other-ca.pem"), "another CA"),
            (try Self.configuration(redis: redis, id: "a", clientCertificate: false), "no client certificate"),
        ] {
            do {
                _ = try await withServer(cluster: configuration) { _ in
                    Issue.record("a node started with \(what)")
                }
            } catch let error as ClusterError {
                #expect("\(error)".contains("TLS"), "\(what): \(error)")
            }
        }
        // rediss:// to a Redis that does not speak TLS.
        let plain = try await RedisServer()
        defer { plain.stop() }
        var mistaken = try ClusterNodes.configuration(redis: plain, id: "a", lease: Patience.scaled(.seconds(10)))
        mistaken.endpoint = try RESPTarget(url: "rediss://127.0.0.1:\(plain.port)")
        mistaken.tlsCAFile = TLSFixtures.path("ca.pem")
        do {
            _ = try await withServer(cluster: mistaken) { _ in Issue.record("a node started with TLS to a plain Redis")
            }
        } catch let error as ClusterError {
            #expect("\(error)".contains("does not speak TLS"), "\(error)")
        }
    }

    @Test("TLS settings are checked: files without rediss://, a certificate without its key, a file that is not there")
    func settings() throws {
        var plain = ClusterConfiguration(endpoint: try RESPTarget(url: "redis://127.0.0.1:6379"))
        plain.tlsCAFile = TLSFixtures.path("ca.pem")
        #expect(
            throws: ConfigurationError.invalid(
                "--cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key need a rediss:// URL")
        ) { try plain.validate() }
        var secure = ClusterConfiguration(endpoint: try RESPTarget(url: "rediss://127.0.0.1:6379"))
        #expect("\(secure.endpoint)" == "rediss://127.0.0.1:6379")
        secure.tlsCertificateFile = TLSFixtures.path("alice.pem")
        #expect(throws: ConfigurationError.invalid("--cluster-tls-cert and --cluster-tls-key go together")) {
            try secure.validate()
        }
        secure.tlsCertificateFile = nil
        secure.tlsCAFile = "/nonexistent/ca.pem"
        #expect(performing: { _ = try secure.makeTLS() }, throws: { "\($0)".contains("/nonexistent/ca.pem") })
    }
}
