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

    @Test("NUL-padded records cut at every point across two reads: the frames alone; too long a run is an error")
    func padding() {
        let frames = [wireFrame("-SERVER-", "ann", "Connect"), wireFrame("bob", "ann", "hi")]
        let records = frames.flatMap { $0 + Array(repeating: 0, count: 256 - $0.count) }
        for cut in 0...records.count {
            let result = self.cut([Array(records[..<cut]), Array(records[cut...])])
            #expect(result.frames == frames, "cut at \(cut)")
            #expect(result.error == nil && !result.holding, "cut at \(cut)")
        }
        // A run continued in the next read, and one continued at the start of a held frame's read.
        let byteByByte = self.cut((Array(repeating: 0, count: 255) + frames[1] + [0, 0]).map { [$0] })
        #expect(byteByByte.frames == [frames[1]] && byteByByte.error == nil)
        let tooLong = self.cut([Array(repeating: 0, count: 128), Array(repeating: 0, count: 128) + frames[1]])
        #expect(tooLong.error == .tooMuchPadding && tooLong.frames.isEmpty)
    }
}
