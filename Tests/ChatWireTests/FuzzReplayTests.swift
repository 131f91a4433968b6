import ChatWire
import ChatWireTestSupport
import Testing

/// Replays the fuzzer's seed corpus and every find kept in fuzz/regressions through the same
/// property checks the fuzz target runs (a failed property traps, failing the run).
@Suite("Fuzz finds, replayed")
struct FuzzReplayTests {
    @Test("frames and control bodies: seeds and regressions hold every property")
    func replay() throws {
        let inputs = try FuzzCorpus.inputs()
        #expect(inputs.count >= 10)
        for (_, bytes) in inputs {
            FuzzChecks.frames(bytes)
            FuzzChecks.cuts(bytes)
            FuzzChecks.runs(bytes)
            FuzzChecks.controls(bytes)
            FuzzChecks.session(bytes)
        }
    }
}
