import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Standard input as an async sequence of byte chunks, read by one dedicated thread so that a
/// blocking `read` never holds a Swift concurrency thread. Works for terminals, pipes and files.
public enum StandardInput {
    /// The chunks of standard input until end of input (or a read error).
    public static func chunks() -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingOldest(64))
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        pool.submit { _ in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                // Wait while the consumer is 64 chunks behind, rather than drop input.
                while case .dropped = continuation.yield(Array(buffer[..<count])) { usleep(1_000) }
            }
            continuation.finish()
        }
        return stream
    }

    /// Cuts chunks into lines (without `\n` or `\r\n`); a last line without newline counts.
    public static func lines(_ chunks: AsyncStream<[UInt8]>) -> AsyncStream<String> {
        AsyncStream { continuation in
            let task = Task {
                var splitter = LineSplitter()
                for await chunk in chunks {
                    for line in splitter.feed(chunk) { continuation.yield(line) }
                }
                if let last = splitter.finish() { continuation.yield(last) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Splits bytes into text lines at `\n`, dropping a `\r` before it. Invalid UTF-8 becomes U+FFFD.
public struct LineSplitter: Sendable {
    private var partial: [UInt8] = []

    /// A splitter with nothing held.
    public init() {}

    /// The lines completed by `bytes`.
    public mutating func feed(_ bytes: [UInt8]) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if self.partial.last == UInt8(ascii: "\r") { self.partial.removeLast() }
                lines.append(String(decoding: self.partial, as: UTF8.self))
                self.partial.removeAll(keepingCapacity: true)
            } else {
                self.partial.append(byte)
            }
        }
        return lines
    }

    /// The last line, if the input did not end with a newline.
    public mutating func finish() -> String? {
        defer { self.partial = [] }
        return self.partial.isEmpty ? nil : String(decoding: self.partial, as: UTF8.self)
    }
}
