import ChatClientCore
import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import Testing

/// How the server closes TLS connections: a client leaves the list as the close starts, whatever
/// its socket does after (stops reading, never answers close_notify), and a connection that
/// never starts the handshake counts as waiting for `Connect` from the moment it is accepted.
///
/// The server waits ten minutes for a close_notify here (`closeTimeout`): a client de-listed
/// only when the TLS close is over would still be listed when the hang guard runs out.
@Suite("TLS: closing")
struct TLSCloseTests {
    private static var settings: TLSServerSettings {
        var settings = TLSServerSettings(
            certificateFile: TLSFixtures.path("server.pem"), keyFile: TLSFixtures.path("server.key"))
        settings.closeTimeout = .seconds(600)
        return settings
    }

    /// TLS clients behind valves, whose sockets are closed beneath TLS when the test ends,
    /// passed or failed: the server would wait `closeTimeout` for them to close otherwise.
    final class Peers: Sendable {
        private let open = NIOLockedValueBox<[(valve: InputValve, client: TestClient)]>([])
        private let context: NIOSSLContext
        let port: Int

        init(port: Int) throws {
            self.port = port
            self.context = try ClientTLS(caFile: TLSFixtures.path("ca.pem")).makeContext()
        }

        /// `name` online over TLS; the valve next to its socket.
        func online(_ name: String) async throws -> (client: TestClient, valve: InputValve) {
            let valve = InputValve()
            let context = self.context
            let client = try await TestClient.online(name, port: self.port) { channel in
                try channel.pipeline.syncOperations.addHandler(valve)
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: context, serverHostname: "localhost"))
            }
            self.open.withLockedValue { $0.append((valve, client)) }
            return (client, valve)
        }

        /// Closes every socket.
        func closeAll() async {
            for (valve, client) in self.open.withLockedValue({ $0 }) {
                await valve.closeSocket(on: client.channel)
            }
        }
    }

    /// A TLS server that waits ten minutes for close_notify, and peers on it.
    private static func withPeers(
        maxPendingBytes: Int = 1 << 20, aliveTimeout: Duration? = nil, clock: any ServerClock = SystemClock(),
        _ body: (ChatServer, Peers) async throws -> Void
    ) async throws {
        try await withServer(
            aliveTimeout: aliveTimeout, maxPendingBytes: maxPendingBytes, clock: clock, tls: Self.settings
        ) { server in
            let peers = try Peers(port: server.port)
            do {
                try await body(server, peers)
            } catch {
                await peers.closeAll()
                throw error
            }
            await peers.closeAll()
        }
    }

    @Test("Quit from a peer that stops reading: the others' list changes at once, not when TLS has closed")
    func quitThenStopReading() async throws {
        try await Self.withPeers { server, peers in
            let (alice, _) = try await peers.online("alice")
            let (bob, _) = try await peers.online("bob")
            try await alice.awaitList(["alice", "bob"])
            try await bob.setReading(false)
            try await bob.send(to: "-SERVER-", from: "bob", "Quit bob")
            try await alice.awaitList(["alice"])
            #expect(server.onlineNames.map(\.text) == ["alice"])
        }
    }

    @Test(
        "A peer that never answers close_notify is de-listed as the server starts to close it: Quit, malformed input, a slow consumer"
    )
    func neverAnswersCloseNotify() async throws {
        try await Self.withPeers(maxPendingBytes: 64 * 1024) { server, peers in
            let (alice, _) = try await peers.online("alice")
            let (bob, bobValve) = try await peers.online("bob")
            try await alice.awaitList(["alice", "bob"])
            bobValve.shut()
            try await bob.send(to: "-SERVER-", from: "bob", "Quit bob")
            try await alice.awaitList(["alice"])
            #expect(!bob.isClosed, "the TLS close still waits for bob's close_notify")

            let (carol, carolValve) = try await peers.online("carol")
            try await alice.awaitList(["alice", "carol"])
            carolValve.shut()
            try await carol.sendRaw(Array(repeating: UInt8(ascii: "x"), count: 300))  // no NUL: Error, closed
            try await alice.awaitList(["alice"])
            #expect(!carol.isClosed, "the TLS close still waits for carol's close_notify")

            let (dave, _) = try await peers.online("dave")
            try await alice.awaitList(["alice", "dave"])
            try await dave.setReading(false)
            // dave reads nothing: what alice sends him piles up past the pending-bytes limit.
            let flood = try Frame(
                destination: ChatName(validating: "dave"), source: ChatName(validating: "alice"),
                text: String(repeating: "y", count: 200))
            try await waitUntil("dave cut off and de-listed") {
                for _ in 0..<64 { alice.channel.write(flood.wire, promise: nil) }
                try await alice.channel.writeAndFlush(ByteBuffer()).get()
                return !server.onlineNames.contains { $0.text == "dave" }
            }
            #expect(!dave.isClosed, "the TLS close still waits for dave's close_notify")
        }
    }

    @Test("A silent peer retired over TLS leaves the list at the alive timeout, without the close handshake")
    func retiredWithoutCloseNotify() async throws {
        let clock = ManualServerClock()
        try await Self.withPeers(aliveTimeout: .seconds(15), clock: clock) { server, peers in
            let (bob, valve) = try await peers.online("bob")
            valve.shut()
            #expect(server.onlineNames.map(\.text) == ["bob"])
            await clock.advance(by: .seconds(15))
            try await waitUntil("bob retired") { server.onlineNames.isEmpty }
            #expect(!bob.isClosed, "the TLS close still waits for bob's close_notify")
        }
    }

    @Test("A TCP connection to the TLS port that never starts the handshake is closed at the connect timeout")
    func noHandshake() async throws {
        let clock = ManualServerClock()
        var limits = Patience.floodLimits
        limits.connectTimeout = .seconds(10)
        try await withServer(clock: clock, flood: limits, tls: Self.settings) { server in
            let silent = try await TestClient.connect(port: server.port)
            try await waitUntil("the life timer set") { clock.pendingTimers > 0 }
            await clock.advance(by: .seconds(9))
            #expect(!silent.isClosed)
            await clock.advance(by: .seconds(1))
            try await silent.awaitClosed()
        }
    }

    @Test("A connection in its TLS handshake counts against --max-unregistered")
    func handshakeCountsAsWaiting() async throws {
        var limits = Patience.floodLimits
        limits.waitingConnections = 1
        try await withServer(flood: limits, tls: Self.settings) { server in
            let first = try await TestClient.connect(port: server.port)
            let second = try await TestClient.connect(port: server.port)
            // Whichever the server took first holds the one place; the other is turned away.
            try await waitUntil("one turned away") { first.isClosed || second.isClosed }
            #expect(first.isClosed != second.isClosed)
            await first.close()
            await second.close()
        }
    }
}
