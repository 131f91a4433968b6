import ChatWire

/// A small deterministic generator, so that generated cases are the same on every run.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    /// A generator that starts from `seed`.
    public init(seed: UInt64) { self.state = seed }
    /// The next number.
    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A valid name text of 1 to 8 printable ASCII bytes.
    public mutating func nameText() -> String {
        let length = Int.random(in: 1...8, using: &self)
        return String(decoding: (0..<length).map { _ in UInt8.random(in: 0x21...0x7E, using: &self) }, as: UTF8.self)
    }

    /// A valid body: 0 to 239 bytes, none of them NUL.
    public mutating func body() -> [UInt8] {
        let length = Int.random(in: 0...Wire.maxBodyLength, using: &self)
        return (0..<length).map { _ in UInt8.random(in: 1...255, using: &self) }
    }
}
