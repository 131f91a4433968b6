import ChatWireTestSupport
import RESP
import Testing

/// Every seed and kept find of the fuzzer, through the RESP parser's property.
@Suite("RESP: fuzz corpus replayed")
struct RESPFuzzReplayTests {
    @Test("the corpus and regressions hold the parser's property")
    func replay() throws {
        let inputs = try FuzzCorpus.inputs()
        #expect(inputs.contains { $0.name.hasSuffix("resp_values") })
        for (_, bytes) in inputs { RESPFuzzCheck.parse(bytes) }
    }
}
