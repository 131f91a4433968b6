import NIOCore

/// How a `Connect` is admitted: the checks the server's options turn on, in order (the
/// certificate, then the password), then presence. With no check (no `--tls-client-ca`, no
/// `--users`) it is presence's answer alone, as cheap as asking presence directly.
///
/// A new rule about who may connect (a ban list, an external authority) is one more
/// `AdmissionCheck`, built in `ConnectionPipeline.admissionChecks`: the handler does not change.
final class AdmissionChain: Sendable {
    private let checks: [any AdmissionCheck]
    private let presence: any Presence

    /// `checks` in order, then `presence`.
    init(checks: [any AdmissionCheck], presence: any Presence) {
        self.checks = checks
        self.presence = presence
    }

    /// Runs the checks for `request`, then asks presence to admit `recipient` (on `loop`, the
    /// connection's); the first refusal ends it.
    func admit(_ request: AdmissionRequest, recipient: LocalRecipient, on loop: any EventLoop) -> AdmissionAnswer {
        self.admit(request, recipient: recipient, on: loop, from: self.checks.startIndex)
    }

    private func admit(
        _ request: AdmissionRequest, recipient: LocalRecipient, on loop: any EventLoop, from index: Int
    ) -> AdmissionAnswer {
        guard index < self.checks.endIndex else { return self.presence.admit(recipient) }
        switch self.checks[index].check(request, on: loop) {
        case .now(let refusal?):
            return .now(.refused(refusal))
        case .now(nil):
            return self.admit(request, recipient: recipient, on: loop, from: index + 1)
        case .later(let verdict):
            return .later(
                verdict.flatMap { refusal in
                    if let refusal { return loop.makeSucceededFuture(.refused(refusal)) }
                    return self.admit(request, recipient: recipient, on: loop, from: index + 1).future(on: loop)
                })
        }
    }
}
