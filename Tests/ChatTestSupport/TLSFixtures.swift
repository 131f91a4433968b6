public import Foundation

/// The TLS test certificates and keys in Tests/Fixtures/tls (made by scripts/make-test-certs.sh:
/// a CA and another one, server certificates for localhost and 127.0.0.1, an expired one, one
/// for another name, client certificates for alice and bob).
public enum TLSFixtures {
    /// The folder.
    public static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tls")

    /// The path of fixture `name` (`server.pem`, `server.key`, `ca.pem`...).
    public static func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }
}
