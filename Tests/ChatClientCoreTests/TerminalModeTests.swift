import ChatTestSupport
import ChatWireTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `chatclient` in a pseudo-terminal, driven key by key as a person would.
@Suite("End to end: the terminal mode", .serialized)
struct TerminalModeTests {
    /// A pseudo-terminal pair, 80×24; the leader side's output is fed to `sink`.
    private final class PseudoTerminal: Sendable {
        let leader: Int32
        let follower: Int32
        private let reader: FileHandle

        init() throws {
            var leader: Int32 = 0
            var follower: Int32 = 0
            var size = winsize(ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0)
            guard openpty(&leader, &follower, nil, nil, &size) == 0 else { throw TestFailure("openpty failed") }
            self.leader = leader
            self.follower = follower
            self.reader = FileHandle(fileDescriptor: leader, closeOnDealloc: false)
        }

        func feed(into process: ProgramProcess) {
            self.reader.readabilityHandler = { handle in
                switch DescriptorReader.read(handle.fileDescriptor) {
                case .bytes(let bytes): process.record(String(decoding: bytes, as: UTF8.self))
                case .nothing: break
                case .end: handle.readabilityHandler = nil
                }
            }
        }

        func type(_ text: String) {
            _ = Array(text.utf8).withUnsafeBytes { write(self.leader, $0.baseAddress, $0.count) }
        }

        var localFlags: tcflag_t {
            var settings = termios()
            tcgetattr(self.follower, &settings)
            return settings.c_lflag
        }

        func close() {
            self.reader.readabilityHandler = nil
            Glibc.close(self.leader)
            Glibc.close(self.follower)
        }
    }

    @Test(
        "typing while a message arrives keeps the line intact; Tab completes; history; Ctrl-D quits and restores the terminal"
    )
    func lineEditing() async throws {
        let (server, port) = try await startServer()
        defer { server.stop() }
        let bob = try await ProgramProcess("chatclient", ["bob", "--port", "\(port)"])
        defer { bob.stop() }
        try await bob.waitFor("online (1): bob")

        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let before = terminal.localFlags
        #expect(before & tcflag_t(ICANON | ECHO) == tcflag_t(ICANON | ECHO))
        let alice = try await ProgramProcess(
            "chatclient", ["alice", "--port", "\(port)", "--no-color"], terminal: terminal.follower)
        terminal.feed(into: alice)
        defer { alice.stop() }
        try await alice.waitFor("online (2): alice bob")
        #expect(terminal.localFlags & tcflag_t(ICANON | ECHO) == 0)

        // Tab completes bob's id after '('.
        terminal.type("(b\t")
        try await alice.waitFor("alice> (bob) ")
        terminal.type("hel")
        try await alice.waitFor("alice> (bob) hel\r")

        // A message arrives mid-line: printed above, the line redrawn as it was, cursor after "hel".
        var mark = alice.outputMark
        bob.type("(alice) ping")
        try await alice.waitFor("bob: ping\r\n\r\u{1B}[2Kalice> (bob) hel\r\u{1B}[16C", since: mark)

        // Finish the line: bob gets it.
        terminal.type("lo\r")
        try await bob.waitFor("alice: hello")

        // Up recalls it; Left, Ctrl-A and Ctrl-E move; Ctrl-U clears.
        mark = alice.outputMark
        terminal.type("\u{1B}[A")
        try await alice.waitFor("alice> (bob) hello\r\u{1B}[18C", since: mark)
        mark = alice.outputMark
        terminal.type("\u{1B}[D\u{01}")
        try await alice.waitFor("alice> (bob) hello\r\u{1B}[7C", since: mark)
        mark = alice.outputMark
        terminal.type("\u{05}\u{15}")
        try await alice.waitFor("\r\u{1B}[2Kalice> \r\u{1B}[7C", since: mark)

        // Ctrl-D on the empty line quits; the terminal is as it was.
        terminal.type("\u{04}")
        #expect(try await alice.waitForExit() == 0)
        #expect(terminal.localFlags == before)
        try await bob.waitFor("left: alice")
    }
}
