/// What every multi-part body (`List k/n …`, `Online <version> k/n …`, `Changed <from> <to> k/n …`)
/// shares: items packed greedily into as few 239-byte bodies as fit behind a head that holds
/// `k/n`, and the `k/n` field itself. The head grows with the digits of n, so packing assumes
/// a number of digits and packs again, with one more, in the rare case n outgrew it.
enum PartPacking {
    /// `items` in order, grouped into parts; never empty (no items: one empty part).
    /// `headLength(digits)`: the bytes before the items when `k` and `n` have `digits` digits
    /// (the `/` included); `cost(item)`: the bytes an item takes, its leading space included.
    static func groups<Item>(_ items: [Item], headLength: (Int) -> Int, cost: (Item) -> Int) -> [[Item]] {
        var digits = 1
        while true {
            let capacity = Wire.maxBodyLength - headLength(digits)
            var groups: [[Item]] = [[]]
            var used = 0
            for item in items {
                let size = cost(item)
                if used + size > capacity {
                    groups.append([])
                    used = 0
                }
                groups[groups.count - 1].append(item)
                used += size
            }
            if String(groups.count).count <= digits { return groups }
            digits += 1
        }
    }

    /// The `k/n` field of a part: its number and the count, `1 <= k <= n`; `nil` if it is not one.
    static func partNumber(_ field: ArraySlice<UInt8>) -> (index: Int, count: Int)? {
        let numbers = field.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard numbers.count == 2, let index = Self.number(numbers[0]), let count = Self.number(numbers[1]),
            1 <= index, index <= count
        else { return nil }
        return (index, count)
    }

    /// A decimal number of 1 to 6 digits.
    static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard (1...6).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// The error for a `k/n` field that is not one.
    static func badPartNumber(_ command: String) -> ControlError {
        .invalidArgument(command: command, reason: "part number is not k/n with 1 <= k <= n")
    }
}
