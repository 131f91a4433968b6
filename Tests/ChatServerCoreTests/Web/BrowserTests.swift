import ChatTestSupport
import ChatWireTestSupport
import Foundation
import Testing

/// The web chat page in a real browser: `Tests/Browser/web_chat.py` drives headless Chromium
/// (Debian's `chromium` and `chromium-driver`, through Selenium) against the built `chatserver`
/// and `chatclient`, and behind a real nginx on a sub-path. `.ci/run` installs them; a machine without them fails here, saying what to
/// install, rather than skipping. The script runs on the `python3` first on PATH, the one `.ci/run`
/// gives Selenium to.
@Suite("Web: the page in a real browser")
struct BrowserTests {
    @Test(
        "Two browsers and a chatclient: lists, messages every way, ALL, Offline, a long text, a taken and an invalid name, behind nginx on a sub-path, a server restart, a password"
    )
    func webChat() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Browser/web_chat.py").path
        let screenshots = FileManager.default.temporaryDirectory.appendingPathComponent(
            "chat255-screenshots-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: screenshots) }
        let binaries = ProgramProcess.binaries
        let run = try await ProgramProcess(
            "/usr/bin/env",
            [
                "python3", script, "--chatserver", binaries.appendingPathComponent("chatserver").path, "--chatclient",
                binaries.appendingPathComponent("chatclient").path, "--screenshots", screenshots.path,
            ])
        defer { run.stop() }
        let status = try await run.waitForExit(timeout: .seconds(600))
        #expect(status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("every check passed"))
        for name in ["web-desktop.png", "web-phone.png"] {
            #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent(name).path))
        }
    }
}
