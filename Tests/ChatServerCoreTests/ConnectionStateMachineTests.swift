import ChatWire
import NIOCore
import NIOEmbedded
import Testing

@testable import ChatServerCore

/// The protocol rules without any channel.
@Suite("Server: connection state machine")
struct ConnectionStateMachineTests {
    private func frame(_ destination: String, _ source: String, _ body: String) throws -> Frame {
        try Frame(destination: ChatName(validating: destination), source: ChatName(validating: source), text: body)
    }

    private func online(_ name: String) throws -> ConnectionStateMachine {
        var machine = ConnectionStateMachine()
        #expect(
            machine.received(try frame("-SERVER-", name, "Connect \(name)")) == .admit(try ChatName(validating: name)))
        machine.admitted()
        return machine
    }

    @Test("Connect <id> from id to -SERVER- asks the registry; anything else first closes")
    func firstFrame() throws {
        var machine = ConnectionStateMachine()
        #expect(
            machine.received(try frame("-SERVER-", "bob", "Connect bob")) == .admit(try ChatName(validating: "bob")))
        for (destination, source, body) in [
            ("bob", "alice", "hi"), ("-SERVER-", "alice", "List"), ("-SERVER-", "alice", "Connect bob"),
            ("-SERVER-", "ALL", "Connect ALL"), ("-SERVER-", "alice", "Connect"), ("ALL", "alice", "Connect alice"),
        ] {
            var fresh = ConnectionStateMachine()
            guard case .rejectAndClose = fresh.received(try frame(destination, source, body)) else {
                Issue.record("\(body) from \(source) to \(destination) was not refused")
                continue
            }
            #expect(fresh.state == .closed)
        }
    }

    @Test("online: chat, broadcast, List, Alive and Quit map to their actions")
    func onlineActions() throws {
        var machine = try online("alice")
        let chat = try frame("bob", "alice", "hi")
        #expect(machine.received(chat) == .forward)
        let broadcast = try frame("ALL", "alice", "hi all")
        #expect(machine.received(broadcast) == .broadcast)
        #expect(machine.received(try frame("-SERVER-", "alice", "List")) == .sendList)
        #expect(machine.received(try frame("-SERVER-", "alice", "Alive alice")) == .keepAlive)
        #expect(machine.received(try frame("-SERVER-", "alice", "Quit alice")) == .quit)
        #expect(machine.state == .closed)
        #expect(machine.received(chat) == .ignore)
    }

    @Test(
        "online: a wrong source, a second Connect, an unknown word, Alive/Quit for someone else are rejected, not closed"
    )
    func onlineRejections() throws {
        var machine = try online("alice")
        for (destination, source, body) in [
            ("bob", "mallory", "hi"), ("-SERVER-", "alice", "Connect alice"), ("-SERVER-", "alice", "Hello"),
            ("-SERVER-", "alice", "Alive bob"), ("-SERVER-", "alice", "Quit bob"), ("-SERVER-", "alice", "List x"),
        ] {
            guard case .reject = machine.received(try frame(destination, source, body)) else {
                Issue.record("\(body) was not rejected")
                continue
            }
            #expect(machine.state == .online(try ChatName(validating: "alice")))
        }
    }

    @Test("a refusal by the registry closes")
    func refusal() throws {
        var machine = ConnectionStateMachine()
        _ = machine.received(try frame("-SERVER-", "bob", "Connect bob"))
        #expect(machine.refused("taken") == .rejectAndClose("taken"))
        #expect(machine.state == .closed)
    }
}

@Suite("Server: registry")
struct RegistryTests {
    @Test("admits unique ids up to capacity; removes only the registered handle")
    func admission() throws {
        let registry = Registry(capacity: 2)
        let channel = EmbeddedChannel()
        let alice = ClientHandle(name: try ChatName(validating: "alice"), channel: channel)
        let impostor = ClientHandle(name: try ChatName(validating: "alice"), channel: channel)
        let bob = ClientHandle(name: try ChatName(validating: "bob"), channel: channel)
        let carol = ClientHandle(name: try ChatName(validating: "carol"), channel: channel)
        #expect(registry.admit(alice) == .admitted)
        #expect(registry.admit(impostor) == .nameTaken)
        #expect(registry.admit(bob) == .admitted)
        #expect(registry.admit(carol) == .full)
        #expect(registry.names().map(\.text) == ["alice", "bob"])
        #expect(!registry.remove(impostor))
        #expect(registry.client(named: alice.name) === alice)
        #expect(registry.remove(alice))
        #expect(!registry.remove(alice))
        #expect(registry.allClients().map(\.name.text) == ["bob"])
        #expect(registry.count == 1)
        let frames = ServerBodies.frames(
            to: alice.name, [ByteBuffer(string: "a\0"), ByteBuffer(string: "b\0")], allocator: ByteBufferAllocator())
        #expect(Array(frames.readableBytesView) == Array("alice   -SERVER-a\0alice   -SERVER-b\0".utf8))
    }
}

@Suite("Server: configuration")
struct ServerConfigurationTests {
    @Test("the defaults are valid; the timeout defaults to 3 × the interval")
    func defaults() throws {
        let configuration = ServerConfiguration()
        try configuration.validate()
        #expect(configuration.effectiveAliveTimeout == .seconds(15))
    }

    @Test("bad values are refused with the option's name")
    func invalid() {
        var configuration = ServerConfiguration()
        configuration.port = 70_000
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = ServerConfiguration()
        configuration.aliveTimeout = .seconds(5)
        #expect(throws: ConfigurationError.invalid("--alive-timeout must be larger than --alive-interval")) {
            try configuration.validate()
        }
        configuration = ServerConfiguration()
        configuration.maxClients = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.maxClients = ServerConfiguration.maxClientsLimit
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.maxClients = ServerConfiguration.maxClientsLimit + 1
        #expect(throws: ConfigurationError.invalid("--max-clients must be 1...1000000")) {
            try configuration.validate()
        }
        configuration = ServerConfiguration()
        configuration.threads = ServerConfiguration.threadsLimit + 1
        #expect(throws: ConfigurationError.invalid("--threads must be 1...1024")) {
            try configuration.validate()
        }
        configuration.threads = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}
