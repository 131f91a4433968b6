import ChatWire
import Testing

@testable import ChatServerCore

@Suite("The cluster's directory copy: snapshot plus versioned changes")
struct ClusterDirectoryTests {
    private func name(_ text: String) throws -> ChatName { try ChatName(validating: text) }

    @Test("Changes apply in version order on top of a snapshot; older ones are ignored")
    func appliesInOrder() throws {
        var directory = ClusterDirectory()
        #expect(!directory.isCurrent)
        #expect(directory.receive(.joined(version: 4, node: "a", name: try self.name("kept"))) == .unchanged)
        #expect(directory.load(version: 3, owners: [try self.name("alice"): "a"]) == .changed)
        #expect(directory.isCurrent)
        #expect(
            directory.owners == [try self.name("alice"): "a", try self.name("kept"): "a"], "the kept event replayed")
        #expect(directory.receive(.joined(version: 4, node: "a", name: try self.name("late"))) == .unchanged)
        #expect(directory.receive(.joined(version: 5, node: "b", name: try self.name("bob"))) == .changed)
        #expect(directory.receive(.left(version: 6, node: "b", name: try self.name("alice"))) == .changed)
        #expect(
            directory.owners[try self.name("alice")] == "a", "a leave by another node than the holder changes nothing")
        #expect(directory.receive(.nodesGone(version: 7, nodes: ["a"])) == .changed)
        #expect(directory.owners == [try self.name("bob"): "b"])
        #expect(directory.version == 7)
    }

    @Test("A gap in the versions or a reload event asks for a snapshot and keeps events until it comes")
    func gapsAskForSnapshot() throws {
        var directory = ClusterDirectory()
        _ = directory.load(version: 1, owners: [:])
        #expect(directory.receive(.joined(version: 3, node: "a", name: try self.name("x"))) == .needsSnapshot)
        #expect(!directory.isCurrent)
        #expect(directory.receive(.joined(version: 4, node: "a", name: try self.name("y"))) == .unchanged)
        #expect(directory.load(version: 3, owners: [try self.name("x"): "a"]) == .changed)
        #expect(directory.owners.count == 2)
        #expect(directory.receive(.reload(version: 5)) == .needsSnapshot)
        #expect(directory.load(version: 5, owners: [:]) == .changed)
        #expect(directory.owners.isEmpty)
    }

    @Test(
        "A Redis behind the copy (restarted empty), or a copy behind what Redis had one refresh before, asks for a snapshot"
    )
    func versionChecks() {
        var directory = ClusterDirectory()
        _ = directory.load(version: 10, owners: [:])
        #expect(directory.check(redisVersion: 10) == .unchanged)
        #expect(directory.check(redisVersion: 12) == .unchanged, "changes may be on their way")
        _ = directory.receive(.reload(version: 11))  // arrives; a reload asks for a snapshot
        _ = directory.load(version: 12, owners: [:])
        #expect(directory.check(redisVersion: 14) == .unchanged, "a load forgets what Redis said before")
        #expect(directory.check(redisVersion: 14) == .needsSnapshot, "13 and 14 had a whole refresh to arrive")
        _ = directory.load(version: 14, owners: [:])
        #expect(directory.check(redisVersion: 2) == .needsSnapshot)
    }

    @Test("A reload event already in the snapshot is ignored")
    func oldReload() {
        var directory = ClusterDirectory()
        _ = directory.receive(.reload(version: 5))
        #expect(directory.load(version: 5, owners: [:]) == .unchanged)
        #expect(directory.isCurrent)
    }

    @Test("Events kept past the bound while waiting ask for another snapshot")
    func overflow() throws {
        var directory = ClusterDirectory()
        let alice = try self.name("alice")
        for version in 1...(ClusterDirectory.maxPendingEvents + 1) {
            _ = directory.receive(.joined(version: UInt64(version), node: "a", name: alice))
        }
        #expect(directory.load(version: 0, owners: [:]) == .needsSnapshot)
        #expect(!directory.isCurrent)
    }

    @Test("A new subscription drops the events kept from the old one")
    func dropsOldEvents() throws {
        var directory = ClusterDirectory()
        _ = directory.receive(.joined(version: 40, node: "a", name: try self.name("old")))
        directory.awaitSnapshot(droppingEvents: true)
        #expect(directory.load(version: 0, owners: [:]) == .unchanged)
        #expect(directory.owners.isEmpty)
    }
}
