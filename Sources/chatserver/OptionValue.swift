import Logging

/// A type an option's value has, read from the file or the environment (`ConfigurationSources`).
protocol OptionValue {
    /// What the file must hold for it.
    static var kind: ConfigurationSources.Kind { get }
    /// The value set for `key`, or `nil`; an error names the key when it does not convert.
    static func read(_ key: String, from sources: ConfigurationSources) throws -> Self?
}

extension Int: OptionValue {
    static var kind: ConfigurationSources.Kind { .wholeNumber }
    static func read(_ key: String, from sources: ConfigurationSources) throws -> Int? { try sources.int(key) }
}

extension Double: OptionValue {
    static var kind: ConfigurationSources.Kind { .number }
    static func read(_ key: String, from sources: ConfigurationSources) throws -> Double? { try sources.double(key) }
}

extension String: OptionValue {
    static var kind: ConfigurationSources.Kind { .text }
    static func read(_ key: String, from sources: ConfigurationSources) throws -> String? { try sources.string(key) }
}

extension Array: OptionValue where Element == String {
    static var kind: ConfigurationSources.Kind { .textList }
    static func read(_ key: String, from sources: ConfigurationSources) throws -> [String]? {
        try sources.strings(key)
    }
}

extension Bool: OptionValue {
    static var kind: ConfigurationSources.Kind { .flag }
    static func read(_ key: String, from sources: ConfigurationSources) throws -> Bool? { try sources.bool(key) }
}

extension LogFormat: OptionValue {
    static var kind: ConfigurationSources.Kind { .text }
    static func read(_ key: String, from sources: ConfigurationSources) throws -> LogFormat? {
        try sources.string(key).map { text in
            guard let format = LogFormat(rawValue: text) else {
                throw ConfigurationSources.Problem(description: "\(key) must be text or json, not '\(text)'")
            }
            return format
        }
    }
}

extension Logger.Level: OptionValue {
    static var kind: ConfigurationSources.Kind { .text }
    static func read(_ key: String, from sources: ConfigurationSources) throws -> Logger.Level? {
        try sources.string(key).map { text in
            guard let level = Logger.Level(rawValue: text) else {
                throw ConfigurationSources.Problem(
                    description:
                        "\(key) must be trace, debug, info, notice, warning, error or critical, not '\(text)'")
            }
            return level
        }
    }
}
