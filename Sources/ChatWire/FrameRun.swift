public import NIOCore

/// The server's fastest path: how far a run of complete frames with one known destination and
/// one known source reaches at the start of a buffer.
///
/// A relay spends most of its user time on a single pattern: one client sending a stream of
/// messages to one partner. Once the first frame of such a stream has passed the full rules
/// (`FrameDecoder.header(of:)` and the connection's state machine), every following frame
/// whose two name fields are bit-for-bit the same is known to be well formed up to its body:
/// the fields equal names that were already validated, so they cannot hold a NUL or a bad byte.
/// Only the NUL has to be found, within the same 256-byte window the decoder uses. All frames
/// of the run are checked in one pass over the raw bytes, with no `ByteBuffer` copied per frame.
public enum FrameRun {
    /// The number of bytes at the start of `buffer`'s readable bytes taken by complete frames
    /// addressed from `source` to `destination`; 0 if the first frame is not one of them (or is
    /// incomplete). Stops before the first frame that differs, is incomplete, or has no NUL within
    /// 256 bytes; `FrameDecoder.header(of:)` decides about that one.
    public static func length(in buffer: ByteBuffer, from source: ChatName, to destination: ChatName) -> Int {
        self.measure(in: buffer, from: source, to: destination).bytes
    }

    /// The same as `length(in:from:to:)`, with the number of frames in those bytes.
    public static func measure(
        in buffer: ByteBuffer, from source: ChatName, to destination: ChatName
    ) -> (bytes: Int, frames: Int) {
        buffer.withUnsafeReadableBytes { bytes in
            Self.measure(in: bytes, from: source.packed, to: destination.packed)
        }
    }

    /// The same over raw bytes; the names as their packed big-endian fields.
    @inline(__always)
    static func measure(in bytes: UnsafeRawBufferPointer, from source: UInt64, to destination: UInt64) -> (
        bytes: Int, frames: Int
    ) {
        var offset = 0
        var frames = 0
        while bytes.count - offset > Wire.headerLength {
            let destinationField = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let sourceField = UInt64(
                bigEndian: bytes.loadUnaligned(fromByteOffset: offset + Wire.nameLength, as: UInt64.self))
            guard destinationField == destination, sourceField == source else { break }
            let bodyStart = offset + Wire.headerLength
            let windowEnd = min(bytes.count, offset + Wire.maxFrameLength)
            let body = UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<windowEnd])
            guard let nul = FrameDecoder.firstZero(in: body) else { break }
            offset = bodyStart + nul + 1
            frames += 1
        }
        return (offset, frames)
    }
}
