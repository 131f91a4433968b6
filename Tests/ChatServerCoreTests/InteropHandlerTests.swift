import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

@testable import ChatServerCore

/// What the server accepts beyond what it sends (docs/PROTOCOL.md, "Compatibility"), on the
/// connection handler with time moved by hand: NUL padding and argument-less control words.
@Suite("Server: other implementations' frames")
struct InteropHandlerTests {
    /// `frame` padded with NULs to a 256-byte record.
    private func record(_ frame: [UInt8]) -> [UInt8] {
        frame + Array(repeating: 0, count: Wire.maxFrameLength - frame.count)
    }

    /// Everything written to `connection` that is not a list push, as raw bytes.
    private func forwarded(to connection: EmbeddedConnection) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try connection.channel.readOutbound(as: ByteBuffer.self) {
            bytes += Array(buffer.readableBytesView)
        }
        return bytes
    }

    @Test("256-byte records, cut at every byte across two reads: a full session; the frames alone are forwarded")
    func records() throws {
        let chat = wireFrame("bob", "rec", "hi bob") + wireFrame("bob", "rec", "again")
        let stream =
            record(wireFrame("-SERVER-", "rec", "Connect rec")) + record(wireFrame("bob", "rec", "hi bob"))
            + record(wireFrame("bob", "rec", "again")) + record(wireFrame("-SERVER-", "rec", "Alive rec"))
            + record(wireFrame("-SERVER-", "rec", "List"))
        for cut in 0...stream.count {
            let server = EmbeddedServer()
            let bob = try server.online("bob")
            let rec = try server.connect()
            try rec.send(stream, cutAt: [cut])
            #expect(try forwarded(to: bob) == chat, "cut at \(cut)")
            #expect(rec.bodies() == ["Connected 1", "List 1/1 bob rec"], "cut at \(cut)")
            #expect(rec.isOpen, "cut at \(cut)")
        }
    }

    @Test("padding between frames of one read breaks a run: each frame forwarded once, in order, unpadded")
    func paddingInsideARun() throws {
        let server = EmbeddedServer()
        let bob = try server.online("bob")
        let alice = try server.online("alice")
        let frames = (1...4).map { wireFrame("bob", "alice", "m\($0)") }
        try alice.send(frames[0] + frames[1] + [0, 0, 0] + frames[2] + [0] + frames[3] + [0])
        #expect(try forwarded(to: bob) == frames.flatMap { $0 })
        #expect(alice.isOpen)
    }

    @Test("NULs are not a sign of life: a client that sends only padding is retired at the timeout")
    func paddingIsNoSignOfLife() throws {
        let server = EmbeddedServer()
        let alice = try server.online("alice")
        let fresh = try server.connect()
        server.advance(by: .milliseconds(2_000))
        try alice.send(Array(repeating: 0, count: 200))
        try fresh.send(Array(repeating: 0, count: 200))
        server.advance(by: .milliseconds(999))
        #expect(alice.isOpen && fresh.isOpen)
        server.advance(by: .milliseconds(1))
        #expect(!alice.isOpen && !fresh.isOpen)
        #expect(server.observer.recorded.contains("left alice: retired: silent for 3.0 seconds"))
    }

    @Test("more than 255 NULs in a row, even across reads: Error, close; 255 are padding")
    func tooMuchPadding() throws {
        let server = EmbeddedServer()
        let alice = try server.online("alice")
        try alice.send(Array(repeating: 0, count: 255) + wireFrame("-SERVER-", "alice", "List"))
        #expect(alice.bodies().contains("List 1/1 alice"))
        try alice.send(Array(repeating: 0, count: 200))
        #expect(alice.isOpen)
        try alice.send(Array(repeating: 0, count: 56))
        #expect(
            alice.bodies() == ["Error malformed input: more than 255 NUL bytes in a row between frames"])
        #expect(!alice.isOpen)
    }

    @Test("argument-less Connect, Alive and Quit: admitted under SRC, kept alive, de-listed")
    func argumentless() throws {
        let server = EmbeddedServer()
        let bob = try server.online("bob")
        let ann = try server.connect()
        try ann.send(wireFrame("-SERVER-", "ann", "Connect"))
        #expect(ann.received().map(\.destination) == ["ann"])
        server.advance(by: .milliseconds(2_500))
        try ann.send(wireFrame("-SERVER-", "ann", "Alive"))
        try bob.send(wireFrame("-SERVER-", "bob", "Alive bob"))
        server.advance(by: .milliseconds(2_500))
        #expect(ann.isOpen, "Alive with no argument is a heartbeat")
        #expect(ann.bodies() == ["List 1/1 ann bob"])
        try ann.send(wireFrame("-SERVER-", "ann", "Quit"))
        #expect(!ann.isOpen)
        #expect(server.observer.recorded.contains("left ann: quit"))
        server.advance(by: .milliseconds(20))
        #expect(bob.bodies().last == "List 1/1 bob")
    }

    @Test("records that arrive while presence decides: held with their padding, then served in order")
    func paddingWhileAdmitting() throws {
        let presence = LaterPresence()
        presence.deciding = true
        let server = EmbeddedServer(presence: presence)
        let rec = try server.connect()
        try rec.send(
            record(wireFrame("-SERVER-", "rec", "Connect rec")) + record(wireFrame("-SERVER-", "rec", "List"))
                + Array(record(wireFrame("nobody", "rec", "hi")).prefix(100)))
        #expect(rec.bodies().isEmpty, "nothing is answered before presence decides")
        try rec.send(Array(record(wireFrame("nobody", "rec", "hi")).dropFirst(100)))
        try presence.answer(.admitted)
        server.loop.run()
        #expect(rec.bodies() == ["Connected 1", "List 1/1 rec", "Offline nobody"])
        #expect(rec.isOpen)
    }
}
