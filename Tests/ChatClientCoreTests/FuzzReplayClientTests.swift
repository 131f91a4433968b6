import ChatClientCore
import ChatWire
import Foundation
import Testing

/// Replays the fuzz corpus and regressions through the client's input checks.
@Suite("Fuzz finds, replayed through the client's parsers")
struct FuzzReplayClientTests {
    @Test("input lines and keys: seeds and regressions hold every property")
    func replay() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fuzz")
        var count = 0
        for folder in ["corpus", "regressions"] {
            let directory = root.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where !name.hasPrefix(".") {
                let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
                FuzzChecks.inputLine(bytes)
                FuzzChecks.keys(bytes)
                count += 1
            }
        }
        #expect(count >= 10)
    }
}
