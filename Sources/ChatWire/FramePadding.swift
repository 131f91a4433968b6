import NIOCore

/// NUL bytes between frames, which some implementations send to pad every frame to a fixed
/// 256-byte record (docs/PROTOCOL.md, "Compatibility"). They are skipped: never kept from one
/// read to the next, never forwarded. A run of more than `limit` of them is malformed, so that
/// NULs alone cannot feed a connection endlessly.
///
/// A run may continue across reads: the count carries over until a frame's first byte ends it.
/// Padding is not a frame, so it is never a sign of life.
struct FramePadding: Sendable {
    /// The most NULs allowed in a row: 255, one less than a frame's 256 bytes. A padded record
    /// needs at most 239 (its frame has at least 17 bytes); the limit is the round bound above
    /// that, so that no reading of "a 256-byte record" is refused, and 256 NULs never are a frame.
    static let limit = Wire.maxFrameLength - 1

    /// NULs in the current run, counted across reads; 0 when the last byte seen ended a run.
    private(set) var run = 0

    /// No run yet.
    init() {}

    /// Whether a run of NULs reached the end of the last read (so the next read may continue it).
    var isOpen: Bool { self.run > 0 }

    /// Skips the NULs at the start of `input`'s readable bytes. The run ends at the first other
    /// byte (a frame's first); when the NULs go to the end of `input`, it stays open for the next read.
    ///
    /// - Throws: `FrameError.tooMuchPadding` once the run is longer than `limit` (looking no
    ///   further than the first NUL past it).
    mutating func skip(_ input: inout ByteBuffer) throws(FrameError) {
        let room = Self.limit - self.run + 1
        let nuls = input.withUnsafeReadableBytes { bytes in
            let window = bytes.prefix(room)
            return window.firstIndex { $0 != Wire.terminator } ?? window.count
        }
        input.moveReaderIndex(forwardBy: nuls)
        self.run += nuls
        guard self.run <= Self.limit else { throw .tooMuchPadding }
        if input.readableBytes > 0 { self.run = 0 }
    }

    /// The header of the frame at the start of `input`, after skipping the padding before it;
    /// `nil` when that frame is not complete yet (or `input` ends in padding). The one place
    /// that reads "a NUL where a frame starts" as padding, for every reader of frames.
    ///
    /// - Throws: the frame's `FrameError`, or `tooMuchPadding`.
    mutating func header(skippingPaddingIn input: inout ByteBuffer) throws(FrameError) -> FrameHeader? {
        while true {
            do {
                return try FrameDecoder.header(of: input)
            } catch .tooShort(0) {
                try self.skip(&input)
            }
        }
    }
}
