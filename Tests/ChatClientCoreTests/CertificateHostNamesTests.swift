import Testing

@testable import ChatClientCore

/// Which names a server certificate's DNS names stand for (RFC 6125).
@Suite("Client: certificate names")
struct CertificateHostNamesTests {
    @Test("exact names, any case, a trailing dot; a wildcard for one whole left-most label only")
    func matching() {
        #expect(CertificateHostNames.matches("localhost", ["localhost"]))
        #expect(CertificateHostNames.matches("Chat.Example.org.", ["chat.example.org"]))
        #expect(!CertificateHostNames.matches("wrong.example", ["localhost"]))
        #expect(!CertificateHostNames.matches("127.0.0.1", ["localhost"]))
        #expect(CertificateHostNames.matches("chat.example.org", ["*.example.org"]))
        #expect(!CertificateHostNames.matches("a.chat.example.org", ["*.example.org"]), "one label only")
        #expect(!CertificateHostNames.matches("example.org", ["*.example.org"]))
        #expect(!CertificateHostNames.matches("example.org", ["*.org"]), "never for a bare domain")
        #expect(!CertificateHostNames.matches("chat.example.org", ["c*.example.org"]), "a whole label")
        #expect(!CertificateHostNames.matches("", ["localhost"]))
        #expect(!CertificateHostNames.matches("localhost", []))
    }
}
