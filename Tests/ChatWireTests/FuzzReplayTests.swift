import ChatWire
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Replays the fuzzer's seed corpus and every find kept in fuzz/regressions through the same
/// property checks the fuzz target runs (a failed property traps, failing the run).
@Suite("Fuzz finds, replayed")
struct FuzzReplayTests {
    static func inputs() throws -> [(String, [UInt8])] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fuzz")
        var inputs: [(String, [UInt8])] = []
        for folder in ["corpus", "regressions"] {
            let directory = root.appendingPathComponent(folder)
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            for name in names where !name.hasPrefix(".") {
                let data = try Data(contentsOf: directory.appendingPathComponent(name))
                inputs.append(("\(folder)/\(name)", Array(data)))
            }
        }
        return inputs
    }

    @Test("frames and control bodies: seeds and regressions hold every property")
    func replay() throws {
        let inputs = try Self.inputs()
        #expect(inputs.count >= 10)
        for (_, bytes) in inputs {
            FuzzChecks.frames(bytes)
            FuzzChecks.runs(bytes)
            FuzzChecks.controls(bytes)
        }
    }
}
