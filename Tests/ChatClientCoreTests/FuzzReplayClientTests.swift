import ChatClientCore
import ChatWire
import ChatWireTestSupport
import Testing

/// Replays the fuzz corpus and regressions through the client's input checks.
@Suite("Fuzz finds, replayed through the client's parsers")
struct FuzzReplayClientTests {
    @Test("input lines and keys: seeds and regressions hold every property")
    func replay() throws {
        var count = 0
        for (_, bytes) in try FuzzCorpus.inputs() {
            FuzzChecks.inputLine(bytes)
            FuzzChecks.keys(bytes)
            count += 1
        }
        #expect(count >= 10)
    }
}
