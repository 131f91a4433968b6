#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

#if canImport(Glibc)
    private let systemRead = Glibc.read
#elseif canImport(Darwin)
    private let systemRead = Darwin.read
#endif

/// Small text files (the users file), read whole with POSIX calls; errors in words.
enum TextFile {
    /// The most bytes read: a users file of a million accounts is some 110 MB.
    static let maxBytes = 256 << 20

    /// The file's bytes as UTF-8 text.
    static func read(_ path: String) throws(UserFileError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable("cannot open \(path): \(Self.lastError())") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable("cannot read \(path): \(Self.lastError())")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            guard bytes.count <= Self.maxBytes else { throw .unreadable("\(path) is larger than 256 MiB") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .unreadable("\(path) is not UTF-8 text")
        }
        return text
    }

    static func lastError() -> String {
        String(cString: strerror(errno)).lowercased()
    }
}
