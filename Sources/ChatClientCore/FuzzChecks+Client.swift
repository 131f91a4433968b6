public import ChatWire

extension FuzzChecks {
    /// The input-line parser: a message it accepts has a valid target and a non-empty text
    /// without NUL, and the text splits into bodies that fit frames.
    public static func inputLine(_ bytes: [UInt8]) {
        let line = String(decoding: bytes, as: UTF8.self)
        if case .message(let target, let text) = InputCommand.parse(line) {
            precondition(target != .server)
            precondition(!text.isEmpty && !text.utf8.contains(0))
            let pieces = TextSplitter.split(text)
            precondition(pieces.joined() == text)
            precondition(pieces.allSatisfy { $0.utf8.count <= Wire.maxBodyLength })
        }
    }

    /// The key decoder and line editor: any bytes, any split, never a crash; the cursor stays in the line.
    public static func keys(_ bytes: [UInt8]) {
        var decoder = KeyDecoder()
        var editor = LineEditor()
        let cut = bytes.count / 2
        for piece in [bytes[..<cut], bytes[cut...]] {
            for key in decoder.feed(piece) {
                _ = editor.handle(key, names: ["ALL", "alice", "albert", "bob"])
                precondition(0 <= editor.cursor && editor.cursor <= editor.text.count)
            }
        }
    }
}
