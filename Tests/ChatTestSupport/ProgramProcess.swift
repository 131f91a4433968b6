public import ChatWireTestSupport
public import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// A built program (`chatserver`, `chatclient`) run as a child process, with its output
/// collected as it comes and waits that always time out.
public final class ProgramProcess: Sendable {
    private let process: Process
    private let input: FileHandle
    private let output = NIOLockedValueBox("")
    private let errors = NIOLockedValueBox("")
    /// How many of the piped output streams reached end of file.
    private let closedStreams = NIOLockedValueBox(0)
    private let pipedStreams: Int

    /// Where `swift build` put the executables: next to the test bundle.
    public static let binaries: URL = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("chatserver").path) { return bundle }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug")
    }()

    /// Starts `program` with `arguments`; standard input is a pipe unless `terminal` (a pty's
    /// follower side) is given, which then serves as input and output.
    public init(
        _ program: String, _ arguments: [String], terminal: Int32? = nil, environment: [String: String] = [:]
    ) async throws {
        let process = Process()
        process.executableURL =
            program.hasPrefix("/") ? URL(fileURLWithPath: program) : Self.binaries.appendingPathComponent(program)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let stderrPipe = Pipe()
        process.standardError = stderrPipe
        if let terminal {
            let handle = FileHandle(fileDescriptor: terminal, closeOnDealloc: false)
            process.standardInput = handle
            process.standardOutput = handle
            self.input = handle
        } else {
            let stdinPipe = Pipe()
            let stdoutPipe = Pipe()
            process.standardInput = stdinPipe
            process.standardOutput = stdoutPipe
            self.input = stdinPipe.fileHandleForWriting
            Self.collect(stdoutPipe, into: self.output, closed: self.closedStreams)
        }
        self.pipedStreams = terminal == nil ? 2 : 1
        Self.collect(stderrPipe, into: self.errors, closed: self.closedStreams)
        self.process = process
        try await Self.waitForFewDescriptors()
        try process.run()
    }

    /// Waits (at most 30 s) until this process holds fewer than 1,000 descriptors.
    ///
    /// A workaround for a crash in swift-corelibs-foundation's `Process.run()` on Linux, seen
    /// in this suite once (SIGSEGV in a `memcpy` under `Process.run`): it copies each
    /// /proc/self/fd entry as a full 256-byte `d_name`, which can read past glibc's 32 KB
    /// directory buffer once some 1,300 descriptors fill it, as the test that connects 1,000
    /// clients does beside these. Fixed upstream (swiftlang/swift-corelibs-foundation#5472),
    /// not in the Swift 6.3 toolchain used here. Descriptors grow one connection at a time, so
    /// a count taken just before the spawn stays far below the danger until the spawn is done.
    private static func waitForFewDescriptors() async throws {
        let deadline = ContinuousClock.now + Patience.guardTime
        while let open = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count,
            open >= 1_000, ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `program` started by a shell under `ulimit -n fileLimit` (soft and hard: the program
    /// cannot raise it), with `arguments`.
    public static func limited(fileLimit: Int, _ program: String, _ arguments: [String]) async throws -> ProgramProcess
    {
        try await ProgramProcess(
            "/bin/sh",
            ["-c", "ulimit -n \(fileLimit) && exec \"$0\" \"$@\"", Self.binaries.appendingPathComponent(program).path]
                + arguments)
    }

    /// Appends what `pipe` delivers to `text`; counts its end of file in `closed`.
    private static func collect(_ pipe: Pipe, into text: NIOLockedValueBox<String>, closed: NIOLockedValueBox<Int>) {
        pipe.fileHandleForReading.readabilityHandler = { handle in
            switch DescriptorReader.read(handle.fileDescriptor) {
            case .bytes(let bytes):
                text.withLockedValue { $0 += String(decoding: bytes, as: UTF8.self) }
            case .nothing:
                break
            case .end:
                handle.readabilityHandler = nil
                closed.withLockedValue { $0 += 1 }
            }
        }
    }

    /// Everything printed on standard output so far.
    public var stdout: String { self.output.withLockedValue { $0 } }
    /// Everything printed on standard error so far.
    public var stderr: String { self.errors.withLockedValue { $0 } }

    /// How many bytes of standard output arrived so far (a mark for `waitFor(_:since:)`).
    public var outputMark: Int { self.stdout.utf8.count }

    /// The port of `chatserver`'s operations endpoint (`--metrics-address`), from its log line.
    public var operationsPort: Int? {
        let errors = self.stderr
        guard let range = errors.range(of: #"operations endpoint on http://[^ /]*:\d+"#, options: .regularExpression)
        else { return nil }
        return Int(errors[range].split(separator: ":").last ?? "")
    }

    /// Writes a line to standard input.
    public func type(_ line: String) {
        try? self.input.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Closes standard input (end of input).
    public func closeInput() {
        try? self.input.close()
    }

    /// Whether the program still runs.
    public var isRunning: Bool { self.process.isRunning }

    /// Whether every thread of the program is stopped (SIGSTOP took effect): the state field
    /// of each /proc/<pid>/task/<tid>/stat is `T`.
    public var isStopped: Bool {
        let tasks = "/proc/\(self.process.processIdentifier)/task"
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: tasks), !threads.isEmpty else {
            return false
        }
        return threads.allSatisfy { thread in
            guard let stat = try? String(contentsOfFile: "\(tasks)/\(thread)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return false }
            return stat[stat.index(after: end)...].split(separator: " ").first == "T"
        }
    }

    /// Sends a signal.
    public func signal(_ number: Int32) {
        kill(self.process.processIdentifier, number)
    }

    /// Waits until standard output (or error) contains `text` after its first `since` bytes.
    public func waitFor(_ text: String, inErrors: Bool = false, since: Int = 0, timeout: Duration = Patience.guardTime)
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        while !String(decoding: Array((inErrors ? self.stderr : self.stdout).utf8).dropFirst(since), as: UTF8.self)
            .contains(text)
        {
            guard ContinuousClock.now < deadline else {
                throw TestFailure(
                    "'\(text)' not seen within \(timeout); stdout:\n\(self.stdout)\nstderr:\n\(self.stderr)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits for the process to exit and its piped output to be read to the end; returns its
    /// exit code (killing it after `timeout`).
    public func waitForExit(timeout: Duration = Patience.guardTime) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            guard ContinuousClock.now < deadline else {
                self.process.terminate()
                throw TestFailure("still running after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        // The last output may still be in the pipes: read on until end of file (a grandchild
        // holding the pipe open would keep it, hence the short bound).
        let drained = ContinuousClock.now + .seconds(2)
        while self.closedStreams.withLockedValue({ $0 }) < self.pipedStreams, ContinuousClock.now < drained {
            try await Task.sleep(for: .milliseconds(5))
        }
        return self.process.terminationStatus
    }

    /// Kills the process if it still runs.
    public func stop() {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
    }

    /// Appends to the collected standard output (for pty readers).
    public func record(_ text: String) {
        self.output.withLockedValue { $0 += text }
    }
}

/// Starts `chatserver --port 0` with `arguments`, waits for its listening line, returns it and its port.
/// `patientAliveTimeout`: false for a test of the configuration that sets the alive timeout
/// itself (in a file: an option on the command line would win over it).
public func startServer(_ arguments: [String] = [], patientAliveTimeout: Bool = true) async throws -> (
    ProgramProcess, Int
) {
    // A connection may take as long to send Connect as a slow machine needs (ThreadSanitizer),
    // and a test client that sends no Alive stays: the server waits for Connect no longer than
    // its alive timeout (15 s by default). A test's own options come after, and win.
    let patience = ["--connect-timeout", "600"] + (patientAliveTimeout ? ["--alive-timeout", "600"] : [])
    let server = try await ProgramProcess("chatserver", ["--port", "0"] + patience + arguments)
    try await server.waitFor("listening", inErrors: true)
    guard let range = server.stderr.range(of: #"listening on [^ \n]*:\d+"#, options: .regularExpression),
        let port = Int(server.stderr[range].split(separator: ":").last ?? "")
    else { throw TestFailure("no port in: \(server.stderr)") }
    return (server, port)
}
