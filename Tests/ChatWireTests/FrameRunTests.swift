import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

@Suite("Frame run scanner")
struct FrameRunTests {
    private let alice: ChatName
    private let bob: ChatName

    init() throws {
        self.alice = try ChatName(validating: "alice")
        self.bob = try ChatName(validating: "bob")
    }

    private func reach(_ bytes: [UInt8], from source: ChatName, to destination: ChatName) -> Int {
        FrameRun.length(in: ByteBuffer(bytes: bytes), from: source, to: destination)
    }

    @Test("covers the frames with both names and stops at the first other one")
    func stopsAtOtherNames() {
        let run = wireFrame("bob", "alice", "one") + wireFrame("bob", "alice", "") + wireFrame("bob", "alice", "three")
        #expect(reach(run + wireFrame("carol", "alice", "x"), from: alice, to: bob) == run.count)
        #expect(reach(run + wireFrame("bob", "mallory", "x"), from: alice, to: bob) == run.count)
        #expect(reach(run + wireFrame("ALL", "alice", "x"), from: alice, to: bob) == run.count)
        #expect(reach(run, from: alice, to: bob) == run.count)
    }

    @Test("is 0 when the first frame has other names")
    func zeroForOtherFirstFrame() {
        #expect(reach(wireFrame("bob", "alice", "x"), from: bob, to: alice) == 0)
        #expect(reach(wireFrame("bobby", "alice", "x"), from: alice, to: bob) == 0)
        #expect(reach([], from: alice, to: bob) == 0)
    }

    @Test("leaves an incomplete frame and a frame without a NUL in 256 bytes to the decoder")
    func leavesUnfinishedFrames() {
        let first = wireFrame("bob", "alice", "hello")
        let cut = Array(wireFrame("bob", "alice", "world").dropLast())
        #expect(reach(first + cut, from: alice, to: bob) == first.count)
        // Only the 16 header bytes of the next frame: nothing to decide yet.
        #expect(reach(first + Array(cut.prefix(16)), from: alice, to: bob) == first.count)
        let endless = Array(cut.prefix(16)) + Array(repeating: UInt8(ascii: "x"), count: 300) + [0]
        #expect(reach(first + endless, from: alice, to: bob) == first.count)
    }

    @Test("a 256-byte frame is the longest it takes; one byte more is the decoder's error")
    func windowIsTheDecoders() {
        let longest = wireFrame("bob", "alice", String(repeating: "x", count: Wire.maxBodyLength))
        #expect(longest.count == Wire.maxFrameLength)
        #expect(reach(longest + longest, from: alice, to: bob) == 2 * Wire.maxFrameLength)
        let tooLong = wireFrame("bob", "alice", String(repeating: "x", count: Wire.maxBodyLength + 1))
        #expect(reach(tooLong, from: alice, to: bob) == 0)
        #expect(throws: FrameError.missingTerminator) { try FrameDecoder.header(of: ByteBuffer(bytes: tooLong)) }
    }

    @Test("agrees with the decoder on generated streams of mixed frames")
    func agreesWithDecoder() {
        var random = SplitMix64(seed: 7)
        let names = ["bob", "alice", "carol"]
        for _ in 0..<500 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...12, using: &random) {
                let destination = names.randomElement(using: &random) ?? "bob"
                let source = Int.random(in: 0..<8, using: &random) == 0 ? "carol" : "alice"
                var frame = wireFrame(destination, source, "")
                frame.removeLast()
                frame += random.body() + [0]
                bytes += frame
            }
            bytes = Array(bytes.dropLast(Int.random(in: 0...20, using: &random)))
            // Traps, failing the test, when the scanner and the decoder disagree.
            FuzzChecks.runs(bytes)
        }
    }
}
