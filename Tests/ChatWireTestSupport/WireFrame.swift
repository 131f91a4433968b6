/// The wire bytes of a frame written by hand, names padded here; for tests that send several
/// frames in one write, or frames the typed API would refuse to build.
public func wireFrame(_ destination: String, _ source: String, _ body: String) -> [UInt8] {
    func pad(_ text: String) -> [UInt8] {
        Array(text.utf8) + Array(repeating: 0x20, count: max(0, 8 - text.utf8.count))
    }
    return pad(destination) + pad(source) + Array(body.utf8) + [0]
}
