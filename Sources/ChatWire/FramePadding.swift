public import NIOCore

/// NUL bytes between frames, which some implementations send to pad every frame to a fixed
/// 256-byte record (docs/PROTOCOL.md, "Compatibility"). They are skipped, never buffered; a run
/// of more than `limit` of them is malformed, so that NULs alone cannot hold a connection open.
///
/// A run may continue across reads: the count carries over until a frame's first byte ends it.
/// Padding is not a frame, so it is never a sign of life.
public struct FramePadding: Sendable {
    /// The most NULs allowed in a row between two frames: one less than a frame's 256 bytes
    /// (a padded record holds at least a 17-byte frame, so at most 239 of its bytes are padding).
    public static let limit = Wire.maxFrameLength - 1

    /// NULs in the current run, counted across reads; 0 when the last byte seen ended a run.
    public private(set) var run = 0

    /// No run yet.
    public init() {}

    /// Whether a run of NULs reached the end of the last read (so the next read may continue it).
    public var isOpen: Bool { self.run > 0 }

    /// Skips the NULs at the start of `input`'s readable bytes. The run ends at the first other
    /// byte (a frame's first); when the NULs go to the end of `input`, it stays open for the next read.
    ///
    /// - Throws: `FrameError.tooMuchPadding` once the run is longer than `limit`.
    public mutating func skip(_ input: inout ByteBuffer) throws(FrameError) {
        let nuls = input.withUnsafeReadableBytes { bytes in
            bytes.firstIndex { $0 != Wire.terminator } ?? bytes.count
        }
        input.moveReaderIndex(forwardBy: nuls)
        self.run += nuls
        guard self.run <= Self.limit else { throw .tooMuchPadding }
        if input.readableBytes > 0 { self.run = 0 }
    }
}
