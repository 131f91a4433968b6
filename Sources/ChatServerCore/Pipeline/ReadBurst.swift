/// What the protocol handler read in one burst, sent toward the front of the pipeline (an
/// outbound user event) when the server paces reads: the `ReadPacingHandler` spends it.
struct ReadBurst: Sendable {
    /// Complete frames.
    let frames: Int
    /// Bytes.
    let bytes: Int
}
