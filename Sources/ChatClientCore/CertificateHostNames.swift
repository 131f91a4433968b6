import NIOSSL

/// The host names a server certificate is for, and whether a name is one of them (RFC 6125:
/// DNS subject alternative names, or the common name when there are none; a `*` stands for
/// one whole left-most label; case does not matter, nor a trailing dot).
enum CertificateHostNames {
    /// The certificate's DNS names, or its common names when it has no alternative names at all.
    static func dnsNames(of certificate: NIOSSLCertificate) -> [String] {
        let alternatives = Array(certificate._subjectAlternativeNames())
        guard !alternatives.isEmpty else {
            return certificate.subjectName.filter { $0.type == .commonName }.map(\.value)
        }
        return alternatives.filter { $0.nameType == .dnsName }.map { String(decoding: $0.contents, as: UTF8.self) }
    }

    /// Whether `name` is one of `names`.
    static func matches(_ name: String, _ names: [String]) -> Bool {
        let wanted = Self.labels(of: name)
        guard !wanted.isEmpty else { return false }
        return names.contains { pattern in
            let labels = Self.labels(of: pattern)
            guard labels.count == wanted.count else { return false }
            for (index, label) in labels.enumerated() where label != wanted[index] {
                // Only a left-most label of exactly `*` is a wildcard, and never for a bare domain.
                guard index == 0, label == "*", labels.count > 2 else { return false }
            }
            return true
        }
    }

    /// `name`'s labels, lowercased, without a trailing dot.
    private static func labels(of name: String) -> [Substring] {
        var text = name.lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        return text.split(separator: ".", omittingEmptySubsequences: false).map { $0 }
    }
}
