#if canImport(Glibc)
    import Glibc
#endif

/// Reads from a pipe or terminal with read(2), trying again when a signal interrupts it.
///
/// Foundation's `FileHandle.availableData` and `readDataToEndOfFile()` trap on `EINTR` (a
/// `try!` in swift-corelibs-foundation): seen in this suite once, a crash of the whole test
/// process while another test's child exited (Foundation's `Process` handles `SIGCHLD`).
public enum DescriptorReader {
    /// What one read gave.
    public enum Chunk: Equatable, Sendable {
        /// Some bytes.
        case bytes([UInt8])
        /// Nothing now (a spurious wake-up of a readability handler).
        case nothing
        /// End of file (or an error that ends the stream).
        case end
    }

    /// One read of at most 64 KiB from `descriptor`.
    public static func read(_ descriptor: Int32) -> Chunk {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 { return .bytes(Array(buffer[..<count])) }
            if count == 0 { return .end }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .nothing
            default: return .end
            }
        }
    }

    /// Everything `descriptor` gives until its end of file.
    public static func readToEnd(_ descriptor: Int32) -> [UInt8] {
        var all: [UInt8] = []
        while true {
            switch Self.read(descriptor) {
            case .bytes(let bytes): all += bytes
            case .nothing: continue
            case .end: return all
            }
        }
    }
}
