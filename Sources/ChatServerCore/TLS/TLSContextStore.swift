import NIOConcurrencyHelpers
import NIOCore
public import NIOSSL

/// The server's TLS context, built from the files of `TLSServerSettings` and built again on
/// `reload()` (SIGHUP): each new connection takes the context current when it opens; open
/// connections keep theirs. A reload that fails (a missing or bad file, a key that does not fit
/// the certificate) leaves the context in force.
public final class TLSContextStore: Sendable {
    private let state: NIOLockedValueBox<(settings: TLSServerSettings, context: NIOSSLContext)>

    /// Builds the context; the error says which file is wrong and why.
    public init(settings: TLSServerSettings) throws(TLSSetupError) {
        self.state = NIOLockedValueBox((settings, try Self.makeContext(settings)))
    }

    /// The files the context is built from.
    public var settings: TLSServerSettings { self.state.withLockedValue { $0.settings } }

    /// The context new connections get.
    public var current: NIOSSLContext { self.state.withLockedValue { $0.context } }

    /// Reads the files again, or those of `settings` (a reload that names other files; its
    /// port is not looked at), and, if they make a working context, uses it (and them) from now on.
    public func reload(from settings: TLSServerSettings? = nil) throws(TLSSetupError) {
        var next = self.settings
        if let settings {
            next.certificateFile = settings.certificateFile
            next.keyFile = settings.keyFile
            // Client certificates stay required or not as at start (the pipeline and the
            // admission checks were built for that); only the CA's file may change.
            if next.clientCAFile != nil, let authority = settings.clientCAFile { next.clientCAFile = authority }
        }
        let fresh = try Self.makeContext(next)
        self.state.withLockedValue { $0 = (next, fresh) }
    }

    /// TLS 1.2 and 1.3, this certificate and key; with a client CA, client certificates required
    /// and checked against it.
    static func makeContext(_ settings: TLSServerSettings) throws(TLSSetupError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(settings.certificateFile)
        } catch {
            throw .file(settings.certificateFile, "not a PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw .file(settings.certificateFile, "holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: settings.keyFile, format: .pem)
        } catch {
            throw .file(settings.keyFile, "not a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.shutdownTimeout = TimeAmount(settings.closeTimeout)
        if let authority = settings.clientCAFile {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(authority)
            } catch {
                throw .file(authority, "not a PEM certificate (\(error))")
            }
            guard !roots.isEmpty else { throw .file(authority, "holds no certificate") }
            configuration.trustRoots = .certificates(roots)
            configuration.certificateVerification = .noHostnameVerification
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .file(settings.keyFile, "does not work with \(settings.certificateFile) (\(error))")
        }
    }
}

/// Why TLS cannot be set up.
public enum TLSSetupError: Error, Equatable, CustomStringConvertible {
    /// This file is missing or wrong (why).
    case file(String, String)

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .file(let path, let why): "\(path): \(why)"
        }
    }
}
