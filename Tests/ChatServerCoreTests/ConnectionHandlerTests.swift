import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import NIOEmbedded
import Testing

@testable import ChatServerCore

/// The connection handler on `EmbeddedChannel`s: bytes in, bytes out, time moved by hand.
@Suite("Server: connection handler")
struct ConnectionHandlerTests {
    @Test("Connect, a message, a broadcast, List and an Offline answer, as bytes")
    func conversation() throws {
        let server = EmbeddedServer()
        let alice = try server.online("alice")
        let bob = try server.online("bob")
        server.advance(by: .milliseconds(20))  // the list push's quiet period
        #expect(alice.bodies() == ["List 1/1 alice bob"])
        #expect(bob.bodies() == ["List 1/1 alice bob"])

        let message = wireFrame("bob", "alice", "hi bob")
        try alice.send(message + wireFrame("ALL", "alice", "hi all") + wireFrame("carol", "alice", "hi?"))
        var forwarded: [UInt8] = []
        while let bytes = try bob.channel.readOutbound(as: ByteBuffer.self) {
            forwarded += Array(bytes.readableBytesView)
        }
        #expect(forwarded == message + wireFrame("ALL", "alice", "hi all"), "byte for byte, in order")
        #expect(
            alice.received().map { "\($0.destination)|\($0.source)|\($0.body)" } == ["alice|-SERVER-|Offline carol"])

        try bob.send(wireFrame("-SERVER-", "bob", "List"))
        // bob was pushed this very list just now: the answer waits until 100 ms after it.
        #expect(bob.bodies() == [])
        server.advance(by: .milliseconds(100))
        #expect(bob.bodies() == ["List 1/1 alice bob"])
        #expect(server.observer.recorded.contains("offline 1"))
        #expect(server.observer.recorded.contains("burst 3/\(message.count + 17 + 6 + 17 + 3)"))
    }

    @Test("a stream of frames cut at every byte across two reads gives the same result")
    func everyCut() throws {
        let long = wireFrame("bob", "alice", String(repeating: "x", count: 239))
        let stream =
            wireFrame("-SERVER-", "alice", "Connect alice") + wireFrame("bob", "alice", "one")
            + wireFrame("bob", "alice", "two") + wireFrame("-SERVER-", "alice", "Alive alice") + long
            + wireFrame("ALL", "alice", "all")
        let expected =
            wireFrame("bob", "alice", "one") + wireFrame("bob", "alice", "two") + long
            + wireFrame("ALL", "alice", "all")
        for cut in 0...stream.count {
            let server = EmbeddedServer()
            let bob = try server.online("bob")
            let alice = try server.connect()
            try alice.send(stream, cutAt: [cut])
            var forwarded: [UInt8] = []
            while let bytes = try bob.channel.readOutbound(as: ByteBuffer.self) {
                forwarded += Array(bytes.readableBytesView)
            }
            #expect(forwarded == expected, "cut at \(cut)")
            #expect(alice.isOpen, "cut at \(cut)")
        }
    }

    @Test(
        "silent for the timeout: retired at 3 s, not a moment before (before Connect: told so); any frame moves the deadline"
    )
    func retirement() throws {
        let server = EmbeddedServer()
        let silent = try server.connect()
        let alice = try server.online("alice")
        server.advance(by: .milliseconds(2_999))
        #expect(silent.isOpen)
        try alice.send(wireFrame("-SERVER-", "alice", "Alive alice"))
        server.advance(by: .milliseconds(1))
        #expect(!silent.isOpen, "never sent Connect: closed all the same (with its Error)")
        #expect(alice.isOpen)
        server.advance(by: .milliseconds(2_998))
        #expect(alice.isOpen)
        try alice.send([0x61, 0x6c])  // bytes that do not finish a frame are no sign of life
        server.advance(by: .milliseconds(1))
        #expect(!alice.isOpen)
        #expect(server.shared.presence.count == 0)
        #expect(server.observer.recorded.contains("left alice: retired: silent for 3.0 seconds"))
        #expect(server.observer.recorded.contains("closed: no Connect within 3 s"))
    }

    @Test("a join is pushed after the 20 ms quiet period; joins every 10 ms within the 100 ms maximum")
    func listPushTiming() throws {
        let server = EmbeddedServer()
        let alice = try server.online("alice")
        server.advance(by: .milliseconds(19))
        #expect(alice.bodies().isEmpty)
        server.advance(by: .milliseconds(1))
        #expect(alice.bodies() == ["List 1/1 alice"])
        var others: [EmbeddedConnection] = []
        for index in 0..<15 {
            others.append(try server.online("c\(index)"))
            server.advance(by: .milliseconds(10))
            if index == 8 { #expect(alice.bodies().isEmpty, "90 ms after the first join: nothing yet") }
        }
        // The first push came 100 ms after the first of the fifteen joins: ten of them in it.
        let pushes = alice.bodies()
        #expect(pushes.count == 1)
        #expect(pushes.first?.hasPrefix("List 1/1 alice c0 c1 ") == true)
        #expect(pushes.first?.split(separator: " ").count == 2 + 1 + 10)
        server.advance(by: .milliseconds(100))
        #expect(alice.bodies().last?.split(separator: " ").count == 2 + 1 + 15, "the latest list, at the end")
        _ = others
    }

    @Test("Connect answered later: the frames sent meanwhile are handled after the answer, in order")
    func laterAdmission() throws {
        let presence = LaterPresence()
        let server = EmbeddedServer(presence: presence)
        let bob = try server.online("bob")
        presence.deciding = true
        let alice = try server.connect()
        try alice.send(
            wireFrame("-SERVER-", "alice", "Connect alice") + wireFrame("bob", "alice", "one")
                + wireFrame("bob", "alice", "two"))
        try alice.send(wireFrame("bob", "alice", "three"))
        #expect(alice.bodies().isEmpty)
        #expect(try bob.channel.readOutbound(as: ByteBuffer.self) == nil)
        try presence.answer(.admitted)
        #expect(alice.bodies().first?.hasPrefix("Connected ") == true)
        var forwarded: [UInt8] = []
        while let bytes = try bob.channel.readOutbound(as: ByteBuffer.self) {
            forwarded += Array(bytes.readableBytesView)
        }
        #expect(
            forwarded == wireFrame("bob", "alice", "one") + wireFrame("bob", "alice", "two")
                + wireFrame("bob", "alice", "three"))

        presence.deciding = true
        let carol = try server.connect()
        try carol.send(wireFrame("-SERVER-", "carol", "Connect carol"))
        try carol.channel.close().wait()
        try presence.answer(.admitted)
        #expect(presence.count == 2, "admitted after it closed: given back")
    }

    @Test("shutdown reaches a connection before Connect too; a slow consumer is cut; malformed input closes")
    func closing() throws {
        let server = EmbeddedServer()
        let early = try server.connect()
        early.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(early.bodies() == ["Error server shutting down"])
        #expect(!early.isOpen)

        let alice = try server.online("alice")
        alice.channel.isWritable = false
        alice.channel.pipeline.fireChannelWritabilityChanged()
        #expect(!alice.isOpen)
        #expect(server.shared.presence.count == 0)

        let bob = try server.online("bob")
        try bob.send(Array("short\0".utf8))
        #expect(bob.bodies().last == "Error \(FrameError.tooShort(5))")
        #expect(!bob.isOpen)
        #expect(
            server.observer.recorded.filter { $0.hasPrefix("left") } == [
                "left alice: slow consumer: over 1048576 bytes pending", "left bob: \(FrameError.tooShort(5))",
            ])
    }
}

/// A presence that decides later when told to (as a cluster would), over a registry.
final class LaterPresence: Presence, @unchecked Sendable {
    private let registry = Registry(capacity: 100)
    private var waiting: (LocalRecipient, EventLoopPromise<Admission>)?
    /// Whether the next `admit` waits for `answer(_:)`. Tests run on the embedded loop's thread.
    var deciding = false

    func admit(_ recipient: LocalRecipient) -> AdmissionAnswer {
        guard self.deciding else { return self.registry.admit(recipient) }
        let promise = recipient.eventLoop.makePromise(of: Admission.self)
        self.waiting = (recipient, promise)
        return .later(promise.futureResult)
    }

    /// Answers the waiting admission (adding the recipient when admitted).
    func answer(_ admission: Admission) throws {
        guard let (recipient, promise) = self.waiting else { throw TestFailure("nothing waits") }
        self.waiting = nil
        self.deciding = false
        if admission == .admitted { _ = self.registry.add(recipient) }
        promise.succeed(admission)
        (recipient.eventLoop as? EmbeddedEventLoop)?.run()
    }

    func start(changed: @escaping @Sendable () -> Void) async throws {}
    func stop() async {}
    func setCapacity(_ capacity: Int) { self.registry.setCapacity(capacity) }
    func remove(_ recipient: LocalRecipient) -> Bool { self.registry.remove(recipient) }
    func recipient(named name: ChatName) -> (any Recipient)? { self.registry.recipient(named: name) }
    var generation: UInt64 { self.registry.generation }
    func broadcastTargets() -> [any Recipient] { self.registry.broadcastTargets() }
    func localRecipients() -> [LocalRecipient] { self.registry.localRecipients() }
    func names(local: [LocalRecipient]) -> [ChatName] { self.registry.names(local: local) }
    var count: Int { self.registry.count }
    var listedCount: Int { self.registry.count }
    var localNameBytes: Int { self.registry.localNameBytes }
}
