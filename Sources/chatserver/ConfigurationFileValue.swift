/// A value of the configuration file as JSON wrote it, read strictly (`true` is not a number,
/// `1` is not a flag): what `ConfigurationSources` checks against each option's kind before
/// swift-configuration, which converts between them, reads it.
enum ConfigurationFileValue: Decodable {
    case null
    case flag(Bool)
    case wholeNumber(Int)
    case number(Double)
    case text(String)
    case textList([String])
    /// Another array, or an object: never an option's value.
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Int.self) {
            self = .wholeNumber(number)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let list = try? container.decode([String].self) {
            self = .textList(list)
        } else {
            self = .other
        }
    }

    /// Whether it is a value of `kind` (a whole number is a number too).
    func fits(_ kind: ConfigurationSources.Kind) -> Bool {
        switch (self, kind) {
        case (.wholeNumber, .wholeNumber), (.wholeNumber, .number), (.number, .number), (.text, .text),
            (.flag, .flag), (.textList, .textList), (.text, .textList):
            true
        default: false
        }
    }
}
