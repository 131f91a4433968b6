import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

@testable import ChatServerCore

/// Change events on the connection handler, time moved by hand: who is counted as a client of
/// them, and a push already on its way when a client asks.
@Suite("Server: change events on the handler")
struct ChangeEventsHandlerTests {
    @Test("counted once however often asked, uncounted when it leaves; never counted before Connect")
    func counting() throws {
        let server = EmbeddedServer()
        let alice = try server.online("alice")
        try alice.send(wireFrame("-SERVER-", "alice", "List changes") + wireFrame("-SERVER-", "alice", "List changes"))
        #expect(server.shared.publisher.changeClientCount == 1)
        let early = try server.connect()
        try early.send(wireFrame("-SERVER-", "early", "List changes"))
        #expect(!early.isOpen, "List changes before Connect is refused like any other frame")
        #expect(server.shared.publisher.changeClientCount == 1)
        try alice.channel.close().wait()
        #expect(server.shared.publisher.changeClientCount == 0)
    }

    @Test("a push already queued on the loop when the client asks: the whole list once, nothing twice")
    func pushOnItsWay() throws {
        let server = EmbeddedServer()
        let alice = try server.online("alice")
        server.advance(by: .milliseconds(20))
        #expect(alice.bodies() == ["List 1/1 alice"])
        let bob = try server.online("bob")
        // The push of version 2 is made and handed to the loop, which has not run it yet.
        server.clock.advanceInPlace(by: .milliseconds(20))
        try alice.send(wireFrame("-SERVER-", "alice", "List changes"))
        server.loop.run()
        let version = server.shared.publisher.latestEdition.version
        #expect(alice.bodies() == ["Online \(version) 1/1 alice bob"], "the queued push is not sent again as changes")
        _ = try server.online("carol")
        server.advance(by: .milliseconds(20))
        #expect(alice.bodies() == ["Changed \(version) \(version + 1) 1/1 +carol"])
        _ = bob
    }

    @Test("asked right behind Connect: nothing until the push that holds the client, then that list whole")
    func firstListHoldsTheClient() throws {
        let server = EmbeddedServer()
        let alice = try server.online("alice")
        server.advance(by: .milliseconds(20))
        _ = alice.bodies()
        let bob = try server.connect()
        try bob.send(wireFrame("-SERVER-", "bob", "Connect bob") + wireFrame("-SERVER-", "bob", "List changes"))
        #expect(bob.bodies() == ["Connected 1"], "the last list pushed does not hold bob: nothing yet")
        server.advance(by: .milliseconds(20))
        let version = server.shared.publisher.latestEdition.version
        #expect(bob.bodies() == ["Online \(version) 1/1 alice bob"])
        #expect(alice.bodies() == ["List 1/1 alice bob"], "a client of full lists, as ever")
    }
}
