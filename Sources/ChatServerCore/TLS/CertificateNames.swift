import NIOSSL

/// The names a client certificate vouches for: its subject's common names and its DNS
/// subject alternative names, as text.
enum CertificateNames {
    static func of(_ certificate: NIOSSLCertificate) -> Set<String> {
        var names = Set(certificate.subjectName.filter { $0.type == .commonName }.map(\.value))
        for alternative in certificate._subjectAlternativeNames() where alternative.nameType == .dnsName {
            names.insert(String(decoding: alternative.contents, as: UTF8.self))
        }
        return names
    }
}
