import NIOCore

/// One check a `Connect` must pass before presence is asked (`AdmissionChain`): the client
/// certificate's names, the password. A server builds only the checks its options turn on.
protocol AdmissionCheck: Sendable {
    /// Why `request` may not connect (`nil`: it passes), now or once decided (`loop`: the
    /// connection's).
    func check(_ request: AdmissionRequest, on loop: any EventLoop) -> AdmissionCheckAnswer
}
