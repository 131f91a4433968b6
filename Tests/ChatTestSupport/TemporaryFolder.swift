import Foundation

/// A fresh folder under the system's temporary folder for one test's files (a users file, a
/// configuration file, certificates to reload), named `prefix` and a UUID. The test removes it
/// (`remove(holding:)`, in a `defer`): a full suite used to leave about twenty folders in /tmp
/// each run.
public struct TemporaryFolder: Sendable {
    /// Its path.
    public let path: String

    /// Makes one.
    public init(_ prefix: String) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.path = url.path
    }

    /// The path of `name` inside it.
    public func file(_ name: String) -> String { (self.path as NSString).appendingPathComponent(name) }

    /// Removes the folder that holds `path` (a file made in a `TemporaryFolder`).
    public static func remove(holding path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}
