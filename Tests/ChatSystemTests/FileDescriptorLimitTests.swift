#if os(Linux)
    import ChatSystem
    import Foundation
    import Glibc
    import Testing

    /// The descriptor table grown ahead of a burst of connections (Linux: read from /proc).
    @Suite struct FileDescriptorLimitTests {
        /// Slots in this process's descriptor table (`FDSize` in /proc/self/status).
        static func tableSize() throws -> Int {
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("FDSize:") })
            return try #require(Int(line.dropFirst("FDSize:".count).trimmingCharacters(in: .whitespaces)))
        }

        @Test func growsTheTableAtOnce() throws {
            let limit = try #require(FileDescriptorLimit.raiseToHardLimit())
            let before = try Self.tableSize()
            let wanted = min(limit, max(before * 4, 4096))
            try #require(wanted > before, "the open-file limit (\(limit)) leaves no room to grow the table")
            #expect(FileDescriptorLimit.reserveTable(for: wanted))
            #expect(try Self.tableSize() >= wanted)
        }

        @Test func neverTakesADescriptorInUse() throws {
            let limit = try #require(FileDescriptorLimit.raiseToHardLimit())
            let source = open("/dev/null", O_RDONLY | O_CLOEXEC)
            try #require(source >= 0)
            defer { close(source) }
            // A descriptor of our own exactly where the probe would go first.
            let held = fcntl(source, F_DUPFD_CLOEXEC, Int32(min(limit, 2048) - 2))
            try #require(held >= 0)
            defer { close(held) }
            #expect(FileDescriptorLimit.reserveTable(for: Int(held) + 1))
            #expect(fcntl(held, F_GETFD) >= 0, "the descriptor in use was closed")
        }

        @Test func raisesAsFarAsNeededNeverLowers() throws {
            let (limit, hard) = try #require(FileDescriptorLimit.raise(toAtLeast: 16))
            #expect(limit >= 16 && limit <= hard)
            let (again, _) = try #require(FileDescriptorLimit.raise(toAtLeast: 8))
            #expect(again == limit, "a smaller need leaves the limit as it is")
            let (most, sameHard) = try #require(FileDescriptorLimit.raise(toAtLeast: Int.max))
            #expect(sameHard == hard && most == hard, "past the hard limit: the hard limit")
        }

        @Test func refusesWhatItCannotDo() {
            #expect(!FileDescriptorLimit.reserveTable(for: 0))
            #expect(!FileDescriptorLimit.reserveTable(for: -5))
        }
    }
#endif
