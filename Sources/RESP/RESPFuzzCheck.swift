import NIOCore

/// The parser's property, for the libFuzzer target (`chatfuzz`) and the tests that replay its
/// finds: any bytes, fed in two reads cut where the input says, never trap; every value read
/// prints back (`RESPEncoder.value`) to bytes that read as the same value; nothing is held
/// that breaks a limit.
public enum RESPFuzzCheck {
    /// Checks the property on `bytes`; traps (`precondition`) if it fails.
    public static func parse(_ bytes: [UInt8]) {
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        var buffer = ByteBuffer(bytes: bytes[..<cut])
        var rest = ByteBuffer(bytes: bytes[cut...])
        while true {
            let value: RESPValue?
            do {
                value = try RESPParser.next(from: &buffer)
            } catch {
                return  // a typed error: the connection would close
            }
            guard let value else {
                guard rest.readableBytes > 0 else { return }
                buffer.writeBuffer(&rest)
                continue
            }
            var printed = ByteBuffer()
            RESPEncoder.value(value, into: &printed)
            let again = try? RESPParser.next(from: &printed)
            // Simple strings and errors that hold CR cannot print back; everything else must.
            if case .simpleString(let text) = value, text.utf8.contains(0x0D) { continue }
            if case .error(let text) = value, text.utf8.contains(0x0D) { continue }
            precondition(again == value, "a value did not print back to itself")
        }
    }
}
