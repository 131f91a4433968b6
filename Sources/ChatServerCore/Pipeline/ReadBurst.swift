/// What the protocol handler read in one burst: told to the observer (metrics), and sent toward
/// the front of the pipeline (an outbound user event) when the server paces reads, for the
/// `ReadPacingHandler` to spend.
public struct ReadBurst: Sendable, Equatable {
    /// Complete frames.
    public let frames: Int
    /// Bytes.
    public let bytes: Int
    /// Direct messages forwarded to an online id (here or on another node).
    public let forwarded: Int
    /// Messages to `ALL`.
    public let broadcasts: Int
}
