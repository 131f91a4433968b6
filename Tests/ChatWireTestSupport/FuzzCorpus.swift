#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The fuzzer's seed corpus (fuzz/corpus) and its kept finds (fuzz/regressions), for the tests
/// that replay them through the parsers and the connection handler.
public enum FuzzCorpus {
    /// Every input, as (folder/name, bytes), sorted by name within each folder.
    public static func inputs() throws -> [(name: String, bytes: [UInt8])] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fuzz")
        var inputs: [(String, [UInt8])] = []
        for folder in ["corpus", "regressions"] {
            let directory = root.appendingPathComponent(folder)
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            for name in names where !name.hasPrefix(".") {
                let data = try Data(contentsOf: directory.appendingPathComponent(name))
                inputs.append(("\(folder)/\(name)", Array(data)))
            }
        }
        return inputs
    }
}
