#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Unbuffered writes to standard error, for messages to the user outside the logger.
public enum StandardError {
    /// Writes `line` and a newline to standard error.
    public static func print(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { raw in
                write(2, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            guard written > 0 else { return }
            offset += written
        }
    }
}
