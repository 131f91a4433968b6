import NIOCore

/// Property checks over arbitrary bytes, shared by the libFuzzer target (`chatfuzz`) and the
/// tests that replay its finds. Each one traps (`precondition`) when a property fails.
public enum FuzzChecks {
    /// The decoder, fed `bytes` in two pieces: every frame it accepts re-encodes to the same
    /// bytes and parses the same way; it never holds 256 bytes or more of an unfinished frame.
    public static func frames(_ bytes: [UInt8]) {
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        var decoder = FrameDecoder()
        var buffer = ByteBuffer(bytes: bytes[..<cut])
        var pending = ByteBuffer(bytes: bytes[cut...])
        while true {
            let frame: Frame?
            do {
                frame = try decoder.decode(buffer: &buffer)
            } catch {
                return  // a typed error: the stream is malformed, the connection would close
            }
            guard let frame else {
                precondition(buffer.readableBytes < Wire.maxFrameLength, "held a full frame's worth without a NUL")
                guard pending.readableBytes > 0 else { return }
                buffer.writeBuffer(&pending)
                continue
            }
            precondition(frame.wire.readableBytes <= Wire.maxFrameLength)
            let again: Frame
            do {
                again = try Frame(
                    destination: frame.destination, source: frame.source, body: Array(frame.body.readableBytesView))
            } catch {
                preconditionFailure("an accepted frame does not re-encode: \(error)")
            }
            precondition(again.wire == frame.wire, "re-encoding changed the bytes")
            precondition((try? FrameDecoder.header(of: frame.wire))??.length == frame.wire.readableBytes)
        }
    }

    /// The frame cutter agrees with the decoder whatever the reads (padding included): `bytes` fed in pieces whose
    /// sizes come from the bytes themselves (so every cut point is reached) yield the same
    /// frames, and the same verdict, as the decoder over all of them at once; the cutter never
    /// holds 256 bytes.
    public static func cuts(_ bytes: [UInt8]) {
        var whole = ByteBuffer(bytes: bytes)
        var expected: [ByteBuffer] = []
        var expectedError: FrameError?
        var decoder = FrameDecoder()
        do {
            while let frame = try decoder.decode(buffer: &whole) { expected.append(frame.wire) }
        } catch {
            expectedError = error as? FrameError
        }
        var cutter = FrameCutter()
        var frames: [ByteBuffer] = []
        var offset = 0
        var step = 0
        do {
            while offset < bytes.count {
                let size = 1 + Int(bytes[step % bytes.count]) % 64
                step += 1
                var read = ByteBuffer(bytes: bytes[offset..<min(bytes.count, offset + size)])
                offset += read.readableBytes
                while let frame = try cutter.next(from: &read) { frames.append(frame.wire) }
                precondition(read.readableBytes == 0, "a read was not used up")
            }
            precondition(expectedError == nil, "the decoder refused what the cutter took")
        } catch {
            precondition(
                error == expectedError, "the cutter said \(error), the decoder \(String(describing: expectedError))")
        }
        precondition(frames == expected, "the cutter's frames differ from the decoder's")
    }

    /// The run scanner agrees with the decoder: with the names of the first frame in `bytes`,
    /// `FrameRun.length` covers exactly the complete frames that `FrameDecoder.header(of:)`
    /// accepts with those same names, one after another from the start.
    public static func runs(_ bytes: [UInt8]) {
        let buffer = ByteBuffer(bytes: bytes)
        guard let first = try? FrameDecoder.header(of: buffer) else { return }
        var expected = 0
        var rest = buffer
        while let header = try? FrameDecoder.header(of: rest),
            header.destination == first.destination, header.source == first.source
        {
            expected += header.length
            rest.moveReaderIndex(forwardBy: header.length)
        }
        let reach = FrameRun.length(in: buffer, from: first.source, to: first.destination)
        precondition(reach == expected, "the run scanner reached \(reach) bytes, the decoder \(expected)")
    }

    /// The control parsers: what they accept prints back to a body that parses the same.
    public static func controls(_ bytes: [UInt8]) {
        let body = ByteBuffer(bytes: bytes)
        // Argument-less words name the sender; what is printed always carries the id.
        if let sender = try? ChatName(validating: "alice"), let control = try? ClientControl.parse(body, from: sender) {
            precondition((try? ClientControl.parse(ByteBuffer(bytes: control.bodyBytes), from: sender)) == control)
        }
        if let control = try? ServerControl.parse(body) {
            if case .error = control { return }  // printing cleans control characters
            precondition((try? ServerControl.parse(ByteBuffer(string: control.body))) == control)
            if case .list(let part) = control {
                var reassembler = ListReassembler()
                _ = try? reassembler.add(part)
            }
        }
        // Any sequence of list parts: never a crash, and a list only when it is complete.
        var reassembler = ListReassembler()
        for chunk in bytes.split(separator: 0) {
            guard case .list(let part)? = try? ServerControl.parse(ByteBuffer(bytes: chunk)) else { continue }
            if let names = try? reassembler.add(part) {
                precondition(part.index == part.count)
                precondition(names.count >= part.names.count)
            }
        }
    }

    /// The client's side over any frames a server may send (padded, in other words): never a
    /// crash; an admission always gives a heartbeat above zero and at most a day (the announced
    /// interval, or the default) and changes at most once after (an interval announced late); a
    /// refusal or an answer from elsewhere ends the session.
    public static func session(_ bytes: [UInt8]) {
        guard let id = try? ChatName(validating: "alice") else { return }
        var session = ClientProtocol(id: id)
        var cutter = FrameCutter()
        var input = ByteBuffer(bytes: bytes)
        var announcements = 0
        while let frame = try? cutter.next(from: &input) {
            switch session.received(frame.header, body: frame.header.body(in: frame.wire)) {
            case .connected(let interval, let heartbeat, _):
                precondition(heartbeat > .zero && heartbeat <= HeartbeatInterval.maximum)
                precondition(interval != nil || heartbeat == ClientProtocol.defaultInterval)
                precondition(session.state == .online(heartbeat: heartbeat))
                announcements += 1
                precondition(announcements <= 2, "a heartbeat changed more than once")
            case .refused, .unexpectedAnswer:
                precondition(session.state == .closed)
            default:
                break
            }
        }
    }
}
