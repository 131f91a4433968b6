/// The version numbers of change events: a decimal `UInt64`, no sign, no leading zero (but
/// `0` itself).
enum Version {
    /// `digits` as a version, or `nil`.
    static func parse(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard (1...20).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
            digits.count == 1 || digits.first != 0x30
        else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }
}
