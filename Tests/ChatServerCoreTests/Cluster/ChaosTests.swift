import ChatTestSupport
import ChatWireTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The cluster under faults, as `scripts/chaos.py` injects them: three `chatserver` nodes, Redis
/// behind Sentinel (a primary, a replica, three sentinels) and a workload of clients, each in
/// its own network namespace; a seeded 60-second schedule of every fault kind (a node cut from
/// Redis, clients cut from a node, a node paused, a node killed and restarted, Redis killed and
/// restarted empty, the primary killed); the recorded history checked for the five invariants
/// of docs/RELIABILITY.md. Needs root and `ip netns` (CI has both; `.ci/run` installs iproute2):
/// without them the test fails, saying so. `CHAT255_CHAOS_SEED` replays another schedule.
@Suite("Cluster: faults under load, the history checked")
struct ChaosTests {
    @Test(
        "A seeded 60-second schedule of every fault kind under load: names unique, no duplicates, per-sender order, nothing lost outside faults, convergence"
    )
    func schedule() async throws {
        guard getuid() == 0 else {
            throw TestFailure("the chaos test needs root for ip netns (CI runs as root)")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/chaos.py").path
        let seed = ProcessInfo.processInfo.environment["CHAT255_CHAOS_SEED"] ?? "25"
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: report) }
        let run = try await ProgramProcess(
            "/usr/bin/env",
            [
                "python3", script, "--duration", "60", "--sentinel", "--seed", seed, "--chatserver",
                ProgramProcess.binaries.appendingPathComponent("chatserver").path, "--report", report.path,
            ])
        defer { run.stop() }
        let status = try await run.waitForExit(timeout: .seconds(300))
        #expect(status == 0, "\(run.stdout)\(run.stderr)")
        let data = try Data(contentsOf: report)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let faults = json["faults"] as? [String: Int] ?? [:]
        for kind in ["redis-partition", "client-partition", "pause", "kill", "redis-restart", "primary-kill"] {
            #expect((faults[kind] ?? 0) > 0, "no \(kind) in the schedule: \(faults)")
        }
        let violations = json["violations"] as? [String: [String]] ?? [:]
        #expect(violations.count == 5, "\(violations.keys)")
        for (invariant, found) in violations {
            #expect(found.isEmpty, "\(invariant): \(found.prefix(5))")
        }
        #expect((json["messages sent"] as? Int ?? 0) > 1000, "a workload under the faults")
    }
}
