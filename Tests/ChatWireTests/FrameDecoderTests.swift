import ChatWireTestSupport
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import ChatWire

@Suite("Frame decoder")
struct FrameDecoderTests {
    private func decodeAll(_ bytes: [UInt8]) throws -> [Frame] {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer(bytes: bytes)
        var frames: [Frame] = []
        while let frame = try decoder.decode(buffer: &buffer) { frames.append(frame) }
        return frames
    }

    @Test("a frame decodes into its names and body, keeping its wire bytes")
    func decodesOneFrame() throws {
        let bytes = wireFrame("bob", "alice", "hello there")
        let frames = try decodeAll(bytes)
        #expect(frames.count == 1)
        let frame = try #require(frames.first)
        #expect(frame.destination.text == "bob")
        #expect(frame.source.text == "alice")
        #expect(frame.text == "hello there")
        #expect(Array(frame.wire.readableBytesView) == bytes)
    }

    @Test("an empty body and a 239-byte body (a 256-byte frame) are both frames")
    func bodyLengthLimits() throws {
        #expect(try decodeAll(wireFrame("bob", "alice", "")).first?.bodyLength == 0)
        let longest = wireFrame("bob", "alice", String(repeating: "x", count: 239))
        #expect(longest.count == 256)
        #expect(try decodeAll(longest).first?.bodyLength == 239)
    }

    @Test("each malformed case is its own error")
    func malformed() throws {
        #expect(throws: FrameError.tooShort(15)) { try decodeAll(Array("bob     alice  ".utf8) + [0]) }
        #expect(throws: FrameError.tooShort(1)) { try decodeAll([0x41, 0]) }
        #expect(throws: FrameError.tooMuchPadding) { try decodeAll(Array(repeating: 0, count: 256)) }
        #expect(throws: FrameError.badName(.destination, .blank)) { try decodeAll(wireFrame("", "alice", "x")) }
        #expect(throws: FrameError.badName(.source, .blank)) { try decodeAll(wireFrame("bob", "", "x")) }
        #expect(throws: FrameError.badName(.destination, .spaceInside)) {
            try decodeAll(wireFrame("b ob", "alice", "x"))
        }
        #expect(throws: FrameError.badName(.source, .invalidByte(0x80))) {
            try decodeAll(Array("bob     ".utf8) + [0x80] + Array("lice   hi".utf8) + [0])
        }
        #expect(throws: FrameError.missingTerminator) {
            try decodeAll(Array(repeating: UInt8(ascii: "a"), count: 256))
        }
        // A megabyte without a NUL fails after the first 256 bytes, whatever follows.
        #expect(throws: FrameError.missingTerminator) {
            try decodeAll(Array(repeating: UInt8(ascii: "a"), count: 1 << 20))
        }
    }

    @Test("NULs between frames are padding: 256-byte records decode to their frames; 255 in a row at most")
    func padding() throws {
        let frames = [
            wireFrame("-SERVER-", "ann", "Connect"), wireFrame("bob", "ann", "hi"), wireFrame("ALL", "ann", ""),
        ]
        let records = frames.flatMap { $0 + Array(repeating: 0, count: 256 - $0.count) }
        #expect(try decodeAll(records).map { Array($0.wire.readableBytesView) } == frames)
        // Before the first frame too, and up to the limit.
        let longest = Array(repeating: UInt8(0), count: FramePadding.limit) + frames[1]
        #expect(try decodeAll(longest).map { Array($0.wire.readableBytesView) } == [frames[1]])
        #expect(throws: FrameError.tooMuchPadding) { try decodeAll([0] + longest) }
        // The run is counted across reads: 200 + 56 NULs in two reads is one run of 256.
        var decoder = FrameDecoder()
        var first = ByteBuffer(bytes: frames[1] + Array(repeating: 0, count: 200))
        #expect(try decoder.decode(buffer: &first) != nil)
        #expect(try decoder.decode(buffer: &first) == nil)
        #expect(first.readableBytes == 0, "padding is skipped, not held")
        var second = ByteBuffer(bytes: Array(repeating: 0, count: 56))
        #expect(throws: FrameError.tooMuchPadding) { try decoder.decode(buffer: &second) }
        // A frame ends the run: the next one starts from zero.
        var again = FrameDecoder()
        var runs = ByteBuffer(
            bytes: Array(repeating: 0, count: 200) + frames[1] + Array(repeating: 0, count: 200) + frames[2])
        #expect(try again.decode(buffer: &runs) != nil)
        #expect(try again.decode(buffer: &runs) != nil)
    }

    @Test("fewer than 256 bytes without a NUL wait for more, and are truncated at end of stream")
    func partial() throws {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer(bytes: Array(repeating: UInt8(ascii: "a"), count: 255))
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(throws: FrameError.truncated(255)) { try decoder.decodeLast(buffer: &buffer, seenEOF: true) }
    }

    @Test("generated frames round-trip: encode then decode gives the same names, body and bytes")
    func roundTrip() throws {
        var generator = SplitMix64(seed: 42)
        var stream: [UInt8] = []
        var expected: [Frame] = []
        for _ in 0..<2_000 {
            let frame = try Frame(
                destination: ChatName(validating: generator.nameText()),
                source: ChatName(validating: generator.nameText()),
                body: generator.body())
            expected.append(frame)
            stream += Array(frame.wire.readableBytesView)
        }
        let decoded = try decodeAll(stream)
        #expect(decoded == expected)
        #expect(decoded.map(\.destination) == expected.map(\.destination))
        #expect(decoded.map(\.source) == expected.map(\.source))
        #expect(decoded.map { Array($0.body.readableBytesView) } == expected.map { Array($0.body.readableBytesView) })
    }

    @Test("the encoder refuses bodies over 239 bytes and NULs; names are checked when made")
    func encoderRefuses() throws {
        let bob = try ChatName(validating: "bob")
        #expect(throws: FrameEncodingError.bodyTooLong(240)) {
            try Frame(destination: bob, source: bob, body: Array(repeating: UInt8(ascii: "x"), count: 240))
        }
        #expect(throws: FrameEncodingError.nulInBody) {
            try Frame(destination: bob, source: bob, body: [0x41, 0, 0x42])
        }
    }

    @Test("ByteToMessageDecoderVerifier: any split of the stream gives the same frames")
    func verifier() throws {
        let frames = try [
            Frame(destination: ChatName(validating: "bob"), source: ChatName(validating: "alice"), text: "hi"),
            Frame(destination: .server, source: ChatName(validating: "alice"), text: "List"),
            Frame(
                destination: .all, source: ChatName(validating: "12345678"), text: String(repeating: "é", count: 119)),
        ]
        let pairs = frames.map { ($0.wire, [$0]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { FrameDecoder() }
        // The same frames as NUL-padded 256-byte records, and with a few NULs between them.
        let records = frames.map { frame in
            var record = frame.wire
            record.writeRepeatingByte(0, count: Wire.maxFrameLength - frame.wire.readableBytes)
            return (record, [frame])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: records) { FrameDecoder() }
        let spaced = frames.map { frame in
            var bytes = ByteBuffer(bytes: [0, 0, 0])
            bytes.writeImmutableBuffer(frame.wire)
            return (bytes, [frame])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: spaced) { FrameDecoder() }
    }

    @Test("on EmbeddedChannel: a stream cut at every byte position yields every frame once, in order")
    func everySplitPosition() throws {
        var generator = SplitMix64(seed: 3)
        var stream: [UInt8] = []
        var expected: [Frame] = []
        for _ in 0..<5 {
            let frame = try Frame(
                destination: ChatName(validating: generator.nameText()),
                source: ChatName(validating: generator.nameText()),
                body: generator.body())
            expected.append(frame)
            stream += Array(frame.wire.readableBytesView)
        }
        for cut in 0...stream.count {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
            try channel.writeInbound(ByteBuffer(bytes: stream[..<cut]))
            try channel.writeInbound(ByteBuffer(bytes: stream[cut...]))
            var received: [Frame] = []
            while let frame = try channel.readInbound(as: Frame.self) { received.append(frame) }
            #expect(received == expected, "cut at \(cut)")
            #expect(try channel.finish().isClean)
        }
    }

    @Test("on EmbeddedChannel: a malformed frame is an error in the pipeline")
    func pipelineError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        #expect(throws: FrameError.badName(.destination, .blank)) {
            try channel.writeInbound(ByteBuffer(bytes: wireFrame("", "bob", "x")))
        }
        _ = try? channel.finish()
    }

    @Test("FrameEncoder writes the frame's bytes")
    func encoder() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(FrameEncoder()))
        let frame = try Frame(destination: ChatName(validating: "bob"), source: ChatName(validating: "al"), text: "yo")
        try channel.writeOutbound(frame)
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(written.readableBytesView) == wireFrame("bob", "al", "yo"))
        #expect(try channel.finish().isClean)
    }
}
