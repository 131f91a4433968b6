import ChatServerCore
import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

/// The server's answers to frames that break the rules, over real sockets.
@Suite("Server: protocol errors")
struct ProtocolErrorTests {
    /// Expects an `Error` frame and then the connection closed.
    private func expectErrorAndClose(_ client: TestClient, containing text: String) async throws {
        let control = try await client.nextControl()
        guard case .error(let message) = control else { throw TestFailure("expected Error, got \(control)") }
        #expect(message.contains(text), "\(message)")
        try await client.awaitClosed()
    }

    /// Expects an `Error` frame, and the connection still open and serving.
    private func expectErrorAndStay(_ client: TestClient, as name: String, containing text: String) async throws {
        let frame = try await client.nextSkippingLists()
        guard case .error(let message) = try ServerControl.parse(frame.body) else {
            throw TestFailure("expected Error, got \(frame.text)")
        }
        #expect(frame.destination.text == name)
        #expect(message.contains(text), "\(message)")
        try await client.send(to: "nobody", from: name, "still there?")
        #expect(try await client.nextSkippingLists().text == "Offline nobody")
    }

    @Test("a frame before Connect: Error, closed")
    func frameBeforeConnect() async throws {
        try await withServer { server in
            let client = try await TestClient.connect(port: server.port)
            try await client.send(to: "bob", from: "alice", "hi")
            try await expectErrorAndClose(client, containing: "first frame must be 'Connect")
            #expect(server.onlineCount == 0)
        }
    }

    @Test("Connect whose id differs from the source, a reserved id, or a control to the wrong address: Error, closed")
    func badConnects() async throws {
        try await withServer { server in
            let mismatch = try await TestClient.connect(port: server.port)
            try await mismatch.send(to: "-SERVER-", from: "alice", "Connect bob")
            try await expectErrorAndClose(mismatch, containing: "differs")
            let reserved = try await TestClient.connect(port: server.port)
            try await reserved.send(to: "-SERVER-", from: "ALL", "Connect ALL")
            try await expectErrorAndClose(reserved, containing: "reserved")
            let server2 = try await TestClient.connect(port: server.port)
            try await server2.send(to: "-SERVER-", from: "-SERVER-", "Connect -SERVER-")
            try await expectErrorAndClose(server2, containing: "reserved")
            let misaddressed = try await TestClient.connect(port: server.port)
            try await misaddressed.send(to: "bob", from: "alice", "Connect alice")
            try await expectErrorAndClose(misaddressed, containing: "first frame")
            #expect(server.onlineCount == 0)
        }
    }

    @Test("Connect with an id that is online: Error, closed; the holder is untouched")
    func nameTaken() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let impostor = try await TestClient.connect(port: server.port)
            try await impostor.send(to: "-SERVER-", from: "alice", "Connect alice")
            try await expectErrorAndClose(impostor, containing: "already online")
            try await alice.send(to: "nobody", from: "alice", "x")
            #expect(try await alice.nextSkippingLists().text == "Offline nobody")
            #expect(server.onlineNames.map(\.text) == ["alice"])
        }
    }

    @Test(
        "a malformed frame at any time: Error, closed, de-listed",
        arguments: [
            Array("bob     alice".utf8) + [0],  // too short
            Array("        alice   hi".utf8) + [0],  // blank destination
            Array("bob     al ice  hi".utf8) + [0],  // space inside a name
            Array(repeating: UInt8(ascii: "x"), count: 300),  // no NUL within 256 bytes
        ])
    func malformedFrame(bytes: [UInt8]) async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            try await alice.sendRaw(bytes)
            let frame = try await alice.nextSkippingLists()
            guard case .error(let message) = try ServerControl.parse(frame.body) else { throw TestFailure("no Error") }
            #expect(message.contains("malformed"))
            try await alice.awaitClosed()
            #expect(server.onlineCount == 0)
        }
    }

    @Test("a megabyte without a NUL: Error and closed after the first 256 bytes")
    func megabyteWithoutNul() async throws {
        try await withServer { server in
            let client = try await TestClient.connect(port: server.port)
            try? await client.sendRaw(Array(repeating: UInt8(ascii: "a"), count: 1 << 20))
            try await client.awaitClosed()
        }
    }

    @Test("a frame whose source is not the sender's id: Error, dropped, the connection stays")
    func wrongSource() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            try await alice.send(to: "bob", from: "mallory", "spoofed")
            try await expectErrorAndStay(alice, as: "alice", containing: "not your id")
            try await Task.sleep(for: .milliseconds(100))
            #expect(bob.drain().allSatisfy { $0.source == .server })
        }
    }

    @Test("a second Connect, an unknown command, Alive or Quit naming someone else: Error, the connection stays")
    func errorsThatKeepTheConnection() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            try await alice.send(to: "-SERVER-", from: "alice", "Connect alice")
            try await expectErrorAndStay(alice, as: "alice", containing: "already connected")
            try await alice.send(to: "-SERVER-", from: "alice", "Dance")
            try await expectErrorAndStay(alice, as: "alice", containing: "unknown command")
            try await alice.send(to: "-SERVER-", from: "alice", "Alive bob")
            try await expectErrorAndStay(alice, as: "alice", containing: "your id")
            try await alice.send(to: "-SERVER-", from: "alice", "Quit bob")
            try await expectErrorAndStay(alice, as: "alice", containing: "your id")
            #expect(server.onlineNames.map(\.text) == ["alice"])
        }
    }

    @Test("a connection that never sends Connect is closed after the alive timeout")
    func neverConnects() async throws {
        let clock = ManualServerClock()
        try await withServer(aliveInterval: .milliseconds(200), aliveTimeout: .seconds(1), clock: clock) { server in
            let client = try await TestClient.connect(port: server.port)
            try await waitUntil("the connection's timer set") { clock.pendingTimers == 1 }
            await clock.advance(by: .milliseconds(999))
            #expect(!client.isClosed)
            await clock.advance(by: .milliseconds(1))
            try await client.awaitClosed()
        }
    }

    @Test("a client sending one byte at a time without finishing a frame is retired by the alive timeout")
    func trickle() async throws {
        let clock = ManualServerClock()
        try await withServer(aliveInterval: .milliseconds(200), aliveTimeout: .seconds(1), clock: clock) { server in
            let alice = try await TestClient.online("alice", port: server.port)
            // Bytes that never finish a frame (20: under the 256 that would be an error), one
            // every 50 ms of the server's time: no sign of life.
            for byte in Array(repeating: UInt8(ascii: "x"), count: 19) {
                try await alice.sendRaw([byte])
                await clock.advance(by: .milliseconds(50))
            }
            #expect(!alice.isClosed)
            try await alice.sendRaw(Array("x".utf8))
            await clock.advance(by: .milliseconds(50))
            try await alice.awaitClosed()
            try await waitUntil("alice de-listed") { server.onlineCount == 0 }
        }
    }
}

/// Messages a client sends just before it leaves are not lost.
@Suite("Server: nothing lost at the end")
struct LastMessagesTests {
    @Test("messages followed by Quit in the same write are all delivered before the client is de-listed")
    func messagesThenQuit() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            try await alice.sendRaw(
                wireFrame("bob", "alice", "one") + wireFrame("bob", "alice", "two")
                    + wireFrame("-SERVER-", "alice", "Quit alice"))
            #expect(try await bob.nextSkippingLists().text == "one")
            #expect(try await bob.nextSkippingLists().text == "two")
            try await alice.awaitClosed()
            try await bob.awaitList(["bob"])
        }
    }

    @Test("messages followed by closing the socket are all delivered")
    func messagesThenClose() async throws {
        try await withServer { server in
            let alice = try await TestClient.online("alice", port: server.port)
            let bob = try await TestClient.online("bob", port: server.port)
            try await alice.sendRaw(wireFrame("bob", "alice", "one") + wireFrame("bob", "alice", "two"))
            await alice.close()
            #expect(try await bob.nextSkippingLists().text == "one")
            #expect(try await bob.nextSkippingLists().text == "two")
            try await bob.awaitList(["bob"])
        }
    }
}
