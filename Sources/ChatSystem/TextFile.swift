#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small text files (a users file), read whole with POSIX calls; errors in words.
public enum TextFile {
    /// Why a file could not be read (in words).
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The most bytes read: a users file of a million accounts is some 110 MB.
    public static let maxBytes = 256 << 20

    /// The file's bytes as UTF-8 text.
    public static func read(_ path: String) throws(Failure) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path): \(Self.lastError())") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read \(path): \(Self.lastError())")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            guard bytes.count <= Self.maxBytes else { throw Failure(description: "\(path) is larger than 256 MiB") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Failure(description: "\(path) is not UTF-8 text")
        }
        return text
    }

    private static func lastError() -> String {
        String(cString: strerror(errno)).lowercased()
    }
}
