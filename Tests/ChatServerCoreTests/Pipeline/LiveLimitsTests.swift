import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import NIOEmbedded
import Testing

@testable import ChatServerCore

/// A reload (SIGHUP with `--config`) puts new limits in force on a running server
/// (`ServerShared.apply`): open connections take the new per-client rates, bounds apply to the
/// next newcomer, and nobody is disconnected. On `EmbeddedChannel`s, the clock moved by hand.
@Suite("Server: limits changed while running")
struct LiveLimitsTests {
    private static func has<Handler: ChannelHandler>(_ type: Handler.Type, _ connection: EmbeddedConnection) -> Bool {
        (try? connection.channel.pipeline.syncOperations.handler(type: type)) != nil
    }

    private static func rated(_ messagesPerSecond: Int, burst: Int) -> ServerConfiguration {
        var configuration = EmbeddedServer.defaultConfiguration
        configuration.flood.messagesPerSecond = messagesPerSecond
        configuration.flood.burst = burst
        return configuration
    }

    @Test("A rate set by a reload paces clients online already; a rate lifted takes the pacing handler out")
    func rateOnAndOff() throws {
        let server = EmbeddedServer()
        let alice = try server.online("alice")
        let waiting = try server.connect()
        #expect(!Self.has(ReadPacingHandler.self, alice))
        server.shared.apply(Self.rated(10, burst: 2))
        server.loop.run()
        #expect(Self.has(ReadPacingHandler.self, alice), "an online client gets the handler")
        #expect(Self.has(ReadPacingHandler.self, waiting), "so does one still waiting for Connect")
        let counter = PolicyHandlerTests.ReadCounter()
        try alice.channel.pipeline.syncOperations.addHandler(counter, position: .first)
        try alice.send((1...6).flatMap { wireFrame("alice", "alice", "\($0)") })
        alice.channel.read()
        #expect(counter.reads == 0, "6 frames against a burst of 2: the read is held back")
        #expect(server.observer.recorded.contains("throttled"))

        server.shared.apply(EmbeddedServer.defaultConfiguration)
        server.loop.run()
        #expect(Self.has(ReadPacingHandler.self, alice), "paused: it stays until the pause ends")
        #expect(!Self.has(ReadPacingHandler.self, waiting), "not paused: it leaves at once")
        server.advance(by: .milliseconds(400))
        #expect(counter.reads == 1, "the read held back goes on")
        #expect(!Self.has(ReadPacingHandler.self, alice), "and the handler has left")
        try alice.send((1...50).flatMap { wireFrame("alice", "alice", "\($0)") })
        alice.channel.read()
        #expect(counter.reads == 2, "no rate: reading goes on")
        #expect(alice.bodies().filter { !$0.hasPrefix("List ") }.count == 56, "every frame was delivered")
    }

    @Test("A new rate replaces the old one on a paced client")
    func rateChanged() throws {
        let server = EmbeddedServer(configuration: Self.rated(10, burst: 2))
        let alice = try server.online("alice")
        let counter = PolicyHandlerTests.ReadCounter()
        try alice.channel.pipeline.syncOperations.addHandler(counter, position: .first)
        server.shared.apply(Self.rated(1000, burst: 100))
        server.loop.run()
        try alice.send((1...50).flatMap { wireFrame("alice", "alice", "\($0)") })
        alice.channel.read()
        #expect(counter.reads == 1, "50 frames within the new burst of 100: not held back")
        server.shared.apply(Self.rated(1, burst: 1))
        server.loop.run()
        try alice.send((1...3).flatMap { wireFrame("alice", "alice", "\($0)") })
        alice.channel.read()
        #expect(counter.reads == 1, "3 frames against a burst of 1: held back")
        server.advance(by: .milliseconds(1_999))
        #expect(counter.reads == 1, "2 frames of debt at 1 a second")
        server.advance(by: .milliseconds(1))
        #expect(counter.reads == 2)
    }

    @Test(
        "Lower bounds refuse the next newcomer and disconnect nobody; a new connect timeout holds for connections opened after it"
    )
    func bounds() throws {
        let server = EmbeddedServer()
        let alice = try server.online("alice")
        let bob = try server.online("bob")
        let waiting = try server.connect()
        var configuration = EmbeddedServer.defaultConfiguration
        configuration.maxClients = 1
        configuration.flood.connectTimeout = .seconds(2)
        configuration.flood.clientsPerAddress = 1
        configuration.flood.waitingConnections = 10
        server.shared.apply(configuration)
        server.loop.run()
        #expect(alice.isOpen && bob.isOpen && waiting.isOpen, "nobody is disconnected")
        let carol = try server.connect()
        #expect(carol.isOpen, "the cap counts connections from now on: carol is the first")
        let dave = try server.connect()
        #expect(dave.bodies() == ["Error too many connections from your address (1)"])
        try carol.send(wireFrame("-SERVER-", "carol", "Connect carol"))
        #expect(carol.bodies() == ["Error the server is full (1 clients)"])
        #expect(!carol.isOpen)
        configuration.flood.clientsPerAddress = nil
        server.shared.apply(configuration)
        let erin = try server.connect()
        server.advance(by: .seconds(2))
        #expect(!erin.isOpen, "opened after the reload: closed at the new connect timeout")
        #expect(erin.bodies() == ["Error no Connect within 2 s"])
        #expect(waiting.isOpen, "opened before: its deadline stays")
        #expect(alice.isOpen && bob.isOpen)
        server.advance(by: .seconds(8))
        #expect(!waiting.isOpen)
    }

    @Test("A reload's bound on connections waiting for Connect turns the next one away")
    func waitingBound() throws {
        let server = EmbeddedServer()
        let first = try server.connect()
        var configuration = EmbeddedServer.defaultConfiguration
        configuration.flood.waitingConnections = 1
        server.shared.apply(configuration)
        let second = try server.connect()
        #expect(first.isOpen)
        #expect(second.bodies().first?.hasPrefix("Error too many connections waiting") == true, "\(second.bodies())")
        #expect(!second.isOpen)
    }

    @Test("The list budget is a ceiling that changes from the next push, and none by default")
    func listBudget() {
        var schedule = ListPushSchedule(quietPeriod: .milliseconds(20), maxDelay: .milliseconds(100))
        #expect(schedule.share(of: 1 << 20) == .zero, "no ceiling")
        schedule.ceiling = 1 << 20
        #expect(schedule.share(of: 1 << 20) == .seconds(1))
        schedule.ceiling = 2 << 20
        #expect(schedule.share(of: 1 << 20) == .milliseconds(500))
        schedule.ceiling = 0
        #expect(schedule.ceiling == 1, "never below a byte a second")
        schedule.ceiling = nil
        #expect(schedule.share(of: 1 << 20) == .zero)
    }
}
