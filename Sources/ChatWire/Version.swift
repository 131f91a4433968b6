/// The version numbers of change events: decimal, 1 to 19 digits, no sign, no leading zero
/// (but `0` itself).
enum Version {
    /// `digits` as a version, or `nil`.
    static func parse(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard (1...19).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
            digits.count == 1 || digits.first != 0x30
        else { return nil }
        return digits.reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 0x30) }
    }
}
