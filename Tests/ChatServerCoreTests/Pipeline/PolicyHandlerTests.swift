import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import NIOEmbedded
import NIOTLS
import Testing

@testable import ChatServerCore

/// Each connection policy alone, on `EmbeddedChannel`s: the per-address limits, read pacing,
/// the client certificate's identity and the admission checks; and that a policy that is off
/// leaves nothing in the pipeline.
@Suite("Server: connection policies")
struct PolicyHandlerTests {
    private static func configuration(_ change: (inout ServerConfiguration) -> Void) -> ServerConfiguration {
        var configuration = EmbeddedServer.defaultConfiguration
        change(&configuration)
        return configuration
    }

    private static func has<Handler: ChannelHandler>(_ type: Handler.Type, _ connection: EmbeddedConnection) -> Bool {
        (try? connection.channel.pipeline.syncOperations.handler(type: type)) != nil
    }

    @Test("With no limit set, no TLS and no accounts, an open connection's pipeline is the protocol handler alone")
    func defaultPipeline() throws {
        let server = EmbeddedServer()
        let alice = try server.online("alice")
        #expect(Self.has(ConnectionHandler.self, alice))
        #expect(!Self.has(AddressLimitHandler.self, alice), "the connect rate alone leaves nothing to give back")
        #expect(!Self.has(ReadPacingHandler.self, alice))
        #expect(!Self.has(ClientCertificateHandler.self, alice))
    }

    @Test("Per address, the connect rate: a connection over it is told and closed, and never waits for Connect")
    func connectRate() throws {
        let server = EmbeddedServer(configuration: Self.configuration { $0.flood.connectsPerAddressPerSecond = 2 })
        let first = try server.connect()
        let second = try server.connect()
        let third = try server.connect()
        #expect(first.isOpen && second.isOpen)
        #expect(third.bodies() == ["Error too many new connections from your address (2 a second)"])
        #expect(!third.isOpen)
        #expect(server.shared.connections.beginShutdown().count == 2, "the one turned away was never tracked")
        #expect(server.observer.recorded.contains("closed: too many new connections from your address (2 a second)"))
    }

    @Test("Per address, open connections: counted while open, refused over the cap, given back on close")
    func openCap() throws {
        let server = EmbeddedServer(configuration: Self.configuration { $0.flood.clientsPerAddress = 1 })
        let first = try server.connect()
        #expect(Self.has(AddressLimitHandler.self, first), "it stays to give the count back")
        #expect(server.shared.addresses.openCount("127.0.0.1") == 1)
        let second = try server.connect()
        #expect(second.bodies() == ["Error too many connections from your address (1)"])
        #expect(!second.isOpen)
        #expect(server.shared.addresses.openCount("127.0.0.1") == 1, "a refused one is not counted")
        _ = try first.channel.finish()
        #expect(server.shared.addresses.openCount("127.0.0.1") == 0)
        let third = try server.connect()
        #expect(third.isOpen)
    }

    /// Counts the `read()`s that reach the front of the pipeline (the socket).
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) {
            self.reads += 1
            context.read()
        }
    }

    @Test("Read pacing: a burst over the rate holds the next read back until the buckets are out of debt")
    func pacing() throws {
        var limits = FloodLimits()
        limits.messagesPerSecond = 10
        limits.burst = 5
        let clock = ManualServerClock()
        let loop = EmbeddedEventLoop()
        let gate = try #require(FloodGate(limits, now: clock.now))
        let counter = ReadCounter()
        let pacing = ReadPacingHandler(gate: gate, clock: clock)
        let channel = EmbeddedChannel(handlers: [counter, pacing], loop: loop)
        channel.read()
        #expect(counter.reads == 1)
        channel.triggerUserOutboundEvent(ReadBurst(frames: 5, bytes: 100, forwarded: 5, broadcasts: 0), promise: nil)
        channel.read()
        #expect(counter.reads == 2, "within the burst: reading goes on")
        channel.triggerUserOutboundEvent(ReadBurst(frames: 10, bytes: 200, forwarded: 10, broadcasts: 0), promise: nil)
        channel.read()
        #expect(counter.reads == 2, "10 frames over: held back")
        clock.advanceInPlace(by: .milliseconds(999))
        loop.run()
        #expect(counter.reads == 2, "the debt is paid at 1 s")
        clock.advanceInPlace(by: .milliseconds(1))
        loop.run()
        #expect(counter.reads == 3, "the read held back goes on")
        #expect(pacing.readsNarrowed, "reads are narrowed after the first pause")
        _ = try channel.finish()
    }

    @Test("Read pacing is in the pipeline only with a per-client rate, and paces a client through the protocol handler")
    func pacingInPipeline() throws {
        let server = EmbeddedServer(
            configuration: Self.configuration {
                $0.flood.messagesPerSecond = 10
                $0.flood.burst = 2
            })
        let alice = try server.online("alice")
        #expect(Self.has(ReadPacingHandler.self, alice))
        let counter = ReadCounter()
        try alice.channel.pipeline.syncOperations.addHandler(counter, position: .first)
        try alice.send((1...6).flatMap { wireFrame("alice", "alice", "\($0)") })
        alice.channel.read()
        #expect(counter.reads == 0, "over its rate: the read is held back")
        server.advance(by: .milliseconds(500))
        #expect(counter.reads == 1)
    }

    @Test("With client certificates required, the identity decides: its names must include the id")
    func identity() throws {
        let server = EmbeddedServer(
            configuration: Self.configuration {
                $0.tls = TLSServerSettings(certificateFile: "unused", keyFile: "unused", clientCAFile: "unused")
            })
        let alice = try server.connect()
        alice.channel.pipeline.fireUserInboundEventTriggered(ClientIdentity(names: ["alice", "alice.example"]))
        try alice.send(wireFrame("-SERVER-", "alice", "Connect alice"))
        #expect(alice.bodies().first?.hasPrefix("Connected ") == true)

        let mallory = try server.connect()
        mallory.channel.pipeline.fireUserInboundEventTriggered(ClientIdentity(names: ["mallory"]))
        try mallory.send(wireFrame("-SERVER-", "bob", "Connect bob"))
        #expect(mallory.bodies() == ["Error the id 'bob' is not a name of your certificate"])

        let plain = try server.connect()
        try plain.send(wireFrame("-SERVER-", "bob", "Connect bob"))
        #expect(plain.bodies() == ["Error a client certificate is required: connect with TLS"])
    }

    /// Records the inbound user events that reach it.
    final class EventRecorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var events: [String] = []
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            self.events.append("\(event)")
        }
    }

    @Test("The certificate handler passes the handshake on and leaves; other events pass through it")
    func certificateHandler() throws {
        let recorder = EventRecorder()
        let channel = EmbeddedChannel(handlers: [ClientCertificateHandler(), recorder])
        channel.pipeline.fireUserInboundEventTriggered("before")
        #expect((try? channel.pipeline.syncOperations.handler(type: ClientCertificateHandler.self)) != nil)
        channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        // No TLS handler here, so no certificate and no identity: admission then refuses.
        #expect(recorder.events == ["before", "handshakeCompleted(negotiatedProtocol: nil)"])
        #expect((try? channel.pipeline.syncOperations.handler(type: ClientCertificateHandler.self)) == nil)
        _ = try channel.finish()
    }
}
