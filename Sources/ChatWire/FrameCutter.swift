public import NIOCore

/// Cuts a byte stream that arrives in reads of any size into frames, and owns the unfinished
/// frame between reads: the one frame cutter of the server, the client and the load tool.
///
/// The frame rules are `FrameDecoder.header(of:)`'s. Complete frames are never copied: they
/// are read where they lie in the received buffer. Only a frame cut by the end of a read is
/// copied out (under 256 bytes), and completed from the start of the next read. NULs between
/// frames are padding (`FramePadding`): skipped, never held.
///
/// Two ways to use it:
/// - `next(from:)` yields one frame at a time (client, load tool);
/// - the server scans whole reads itself (to forward runs of frames as one slice), so it asks
///   `completeHeld(from:)` for the held frame first, gives back what it left with `hold(_:)`,
///   and reads each frame's header with `header(at:)`, which skips padding.
public struct FrameCutter: Sendable {
    /// The start of a frame cut by the end of a read (1...255 bytes), or `nil`.
    private var held: ByteBuffer?
    /// NULs between frames, counted across reads (never held: skipped).
    private var padding = FramePadding()

    /// A cutter holding nothing.
    public init() {}

    /// Whether part of a frame is held, waiting for the rest.
    public var isHolding: Bool { self.held != nil }

    /// The next complete frame: its header and its wire bytes (NUL included), a slice of
    /// `input` or of the held bytes; `nil` when `input` is used up (its unfinished tail is held).
    /// NUL padding between frames is skipped.
    ///
    /// - Throws: `FrameError` when the stream is malformed; the connection should close.
    public mutating func next(from input: inout ByteBuffer) throws(FrameError) -> (
        header: FrameHeader, wire: ByteBuffer
    )? {
        if var completed = try self.completeHeld(from: &input) {
            return try Self.take(from: &completed)
        }
        guard let header = try self.header(at: &input) else {
            self.hold(&input)
            return nil
        }
        guard let wire = input.readSlice(length: header.length) else { return nil }
        return (header, wire)
    }

    /// The header of the frame at the start of `input`, the padding before it skipped (it may go
    /// on in the next read); `nil` when that frame is not complete yet: the caller gives the
    /// rest to `hold(_:)`.
    ///
    /// - Throws: the frame's `FrameError`; `tooMuchPadding` for more than `FramePadding.limit`
    ///   NULs in a row.
    public mutating func header(at input: inout ByteBuffer) throws(FrameError) -> FrameHeader? {
        try self.padding.header(skippingPaddingIn: &input)
    }

    /// Takes up where the last read stopped: adds the first bytes of `input` to the held frame,
    /// or skips the NULs that continue a run of padding. Returns the completed frame (exactly
    /// one, its NUL last) once its NUL arrived; `nil` while it is still unfinished (all of
    /// `input` was taken), after padding, or when nothing was left open (nothing was taken).
    ///
    /// - Throws: `FrameError.missingTerminator` when 256 bytes gathered without a NUL,
    ///   `FrameError.tooMuchPadding` for too long a run of NULs; the names are checked by the
    ///   caller's `FrameDecoder.header(of:)` on the completed frame.
    public mutating func completeHeld(from input: inout ByteBuffer) throws(FrameError) -> ByteBuffer? {
        if self.padding.isOpen {
            // A run of padding reached the end of the last read, so no frame was cut by it.
            assert(self.held == nil, "padding and a held frame at once")
            try self.padding.skip(&input)
            return nil
        }
        guard var held = self.held else { return nil }
        self.held = nil
        let room = Wire.maxFrameLength - held.readableBytes
        let window = min(room, input.readableBytes)
        let nul = input.withUnsafeReadableBytes { bytes in
            FrameDecoder.firstZero(in: UnsafeRawBufferPointer(rebasing: bytes[..<window]))
        }
        if let nul, var rest = input.readSlice(length: nul + 1) {
            held.writeBuffer(&rest)
            return held
        }
        if var rest = input.readSlice(length: window) {
            held.writeBuffer(&rest)
        }
        if held.readableBytes >= Wire.maxFrameLength { throw .missingTerminator }
        self.held = held
        return nil
    }

    /// Keeps the readable bytes of `rest` (the start of a frame: under 256 bytes, which
    /// `FrameDecoder.header(of:)` returning `nil` guarantees) for the next read, and takes them.
    public mutating func hold(_ rest: inout ByteBuffer) {
        guard rest.readableBytes > 0 else { return }
        // Copied into a buffer of its own: holding a slice would keep the whole read alive.
        var held = ByteBufferAllocator().buffer(capacity: Wire.maxFrameLength)
        held.writeBuffer(&rest)
        self.held = held
    }

    /// At the end of the stream: `FrameError.truncated` if a frame was left unfinished.
    public mutating func finish() throws(FrameError) {
        guard let held = self.held else { return }
        self.held = nil
        throw .truncated(held.readableBytes)
    }

    /// The one frame in `completed`, checked by the decoder's rules.
    private static func take(from completed: inout ByteBuffer) throws(FrameError) -> (
        header: FrameHeader, wire: ByteBuffer
    )? {
        guard let header = try FrameDecoder.header(of: completed), let wire = completed.readSlice(length: header.length)
        else { return nil }
        return (header, wire)
    }
}
