/// Asks a connection's handler to close for `reason` (sent through its pipeline from any
/// thread): the cluster closes its clients this way when it loses the backbone.
struct CloseRequest: Sendable {
    let reason: CloseReason
}
