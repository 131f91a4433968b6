import ChatWire
import NIOCore
import NIOEmbedded
import Testing

@testable import ChatServerCore

@Suite("Server: registry")
struct RegistryTests {
    @Test("admits unique ids up to capacity at once; removes only the registered recipient")
    func admission() throws {
        let registry = Registry(capacity: 2)
        let channel = EmbeddedChannel()
        let alice = LocalRecipient(name: try ChatName(validating: "alice"), channel: channel)
        let impostor = LocalRecipient(name: try ChatName(validating: "alice"), channel: channel)
        let bob = LocalRecipient(name: try ChatName(validating: "bob"), channel: channel)
        let carol = LocalRecipient(name: try ChatName(validating: "carol"), channel: channel)
        guard case .now(.admitted) = registry.admit(alice) else {
            Issue.record("the registry decides at once")
            return
        }
        let generation = registry.generation
        #expect(registry.add(impostor) == .refused(.nameTaken(alice.name)))
        #expect(registry.add(bob) == .admitted)
        #expect(registry.generation != generation)
        #expect(registry.add(carol) == .refused(.full(2)))
        #expect(registry.names().map(\.text) == ["alice", "bob"])
        #expect(!registry.remove(impostor))
        #expect(registry.recipient(named: alice.name) === alice)
        #expect(registry.remove(alice))
        #expect(!registry.remove(alice))
        #expect(registry.broadcastTargets().count == 1 && registry.broadcastTargets().first === bob)
        #expect(registry.localRecipients().map(\.name.text) == ["bob"])
        #expect(registry.count == 1)
        let frames = ServerBodies.frames(
            to: alice.name, [ByteBuffer(string: "a\0"), ByteBuffer(string: "b\0")], allocator: ByteBufferAllocator())
        #expect(Array(frames.readableBytesView) == Array("alice   -SERVER-a\0alice   -SERVER-b\0".utf8))
    }
}
