import NIOCore

/// `--tls-client-ca`: the id must be one of the names of the client's certificate. A connection
/// without one (a plain listener beside the TLS one) is refused: the certificate is required
/// everywhere.
struct CertificateCheck: AdmissionCheck {
    /// Refuses an id its certificate does not name.
    func check(_ request: AdmissionRequest, on loop: any EventLoop) -> AdmissionCheckAnswer {
        guard let identity = request.identity else { return .now(.certificateRequired) }
        return .now(identity.names.contains(request.id.text) ? nil : .notYourCertificate(request.id))
    }
}
