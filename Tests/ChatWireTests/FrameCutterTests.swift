import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

@Suite("Frame cutter")
struct FrameCutterTests {
    /// Every frame `cutter` yields from `reads`, as wire bytes; the error if one is thrown.
    private func cut(_ reads: [[UInt8]]) -> (frames: [[UInt8]], error: FrameError?, holding: Bool) {
        var cutter = FrameCutter()
        var frames: [[UInt8]] = []
        do {
            for read in reads {
                var input = ByteBuffer(bytes: read)
                while let frame = try cutter.next(from: &input) {
                    #expect(frame.header.length == frame.wire.readableBytes)
                    frames.append(Array(frame.wire.readableBytesView))
                }
                #expect(input.readableBytes == 0, "a read is always used up")
            }
        } catch {
            return (frames, error, cutter.isHolding)
        }
        return (frames, nil, cutter.isHolding)
    }

    @Test("three frames cut at every pair of points across three reads: the same three frames")
    func everyCut() {
        let frames = [
            wireFrame("bob", "alice", "hi"), wireFrame("-SERVER-", "alice", "List"),
            wireFrame("ALL", "alice", String(repeating: "y", count: 239)),
        ]
        let stream = frames.flatMap { $0 }
        for first in 0...stream.count {
            for second in first...stream.count where (second - first) % 7 == 0 || second == stream.count {
                let result = self.cut([
                    Array(stream[..<first]), Array(stream[first..<second]), Array(stream[second...]),
                ])
                #expect(result.frames == frames, "cut at \(first), \(second)")
                #expect(result.error == nil && !result.holding)
            }
        }
    }

    @Test("an unfinished frame is held across reads, never more than 255 bytes; then the rules apply")
    func holding() {
        let long = wireFrame("bob", "alice", String(repeating: "z", count: 239))
        let oneByOne = self.cut(long.map { [$0] })
        #expect(oneByOne.frames == [long])
        #expect(!oneByOne.holding)

        let noNul = self.cut([Array(repeating: 0x41, count: 200), Array(repeating: 0x41, count: 100)])
        #expect(noNul.error == .missingTerminator)

        let badName = self.cut([
            Array(wireFrame("b b", "alice", "x").prefix(5)), Array(wireFrame("b b", "alice", "x").dropFirst(5)),
        ])
        #expect(badName.error == .badName(.destination, .spaceInside))

        var cutter = FrameCutter()
        var start = ByteBuffer(bytes: wireFrame("bob", "alice", "hi").prefix(10))
        #expect(throws: Never.self) { _ = try cutter.next(from: &start) }
        #expect(cutter.isHolding)
        #expect(throws: FrameError.truncated(10)) { try cutter.finish() }
        #expect(!cutter.isHolding)
    }
}
