import ChatWire
import NIOCore
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Keeps docs/PROTOCOL.md true: every hex dump in it must decode to exactly one well-formed frame
/// whose control body (to or from `-SERVER-`) parses.
@Suite("docs/PROTOCOL.md")
struct ProtocolDocumentTests {
    private static func dumps() throws -> [(title: String, bytes: [UInt8])] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
        var result: [(String, [UInt8])] = []
        var title = ""
        var bytes: [UInt8]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#### ") {
                title = String(line.dropFirst(5))
            } else if line == "```", !title.isEmpty {
                if let collected = bytes {
                    result.append((title, collected))
                    bytes = nil
                    title = ""
                } else {
                    bytes = []
                }
            } else if bytes != nil {
                // "0000  2d 53 ...  |ascii|": the hex sits between the offset and the ASCII column.
                let hex = line.split(separator: "|").first?.split(separator: " ").dropFirst() ?? []
                bytes?.append(contentsOf: hex.compactMap { UInt8($0, radix: 16) })
            }
        }
        return result
    }

    @Test("every example decodes to one frame that re-encodes to the same bytes")
    func examplesDecode() throws {
        let dumps = try Self.dumps()
        #expect(dumps.count == 13)
        for (title, bytes) in dumps {
            var decoder = FrameDecoder()
            var buffer = ByteBuffer(bytes: bytes)
            let frame = try #require(try decoder.decode(buffer: &buffer), "\(title)")
            #expect(buffer.readableBytes == 0, "\(title)")
            let again = try Frame(
                destination: frame.destination, source: frame.source, body: Array(frame.body.readableBytesView))
            #expect(again.wire == frame.wire, "\(title)")
            if frame.destination == .server {
                #expect(throws: Never.self, "\(title)") { try ClientControl.parse(frame.body, from: frame.source) }
            } else if frame.source == .server {
                #expect(throws: Never.self, "\(title)") { try ServerControl.parse(frame.body) }
            }
        }
    }
}
