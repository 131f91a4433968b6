import Configuration
import Foundation
import SystemPackage

/// Where options come from besides the command line (apple/swift-configuration): the file of
/// `--config` (one flat JSON object keyed by the long option names) and the environment
/// (`CHAT255_` and the name in capitals with `_`: `CHAT255_MAX_CLIENTS`). The command line wins
/// over the file, the file over the environment (`ChatServerCommand.resolved`).
///
/// The file is checked whole before anything is used: it must parse, hold one object, and
/// every key must be an option with a value of its kind; the error names the key (and the line
/// where the parser gives one). A variable of the environment that does not convert is an error
/// naming it.
struct ConfigurationSources {
    /// What an option's value is.
    enum Kind: String {
        case wholeNumber = "a whole number"
        case number = "a number"
        case text = "a string"
        case flag = "true or false"
        case textList = "a list of strings (or one string, commas between them)"
    }

    private let file: ConfigReader?
    private let environment: ConfigReader

    /// A problem with the file or the environment, in words.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads and checks the file at `path` (if any) and takes the process's environment.
    init(file path: String?) async throws(Problem) {
        self.environment = ConfigReader(provider: EnvironmentVariablesProvider())
        guard let path else {
            self.file = nil
            return
        }
        try Self.check(path)
        let file: ConfigReader
        do {
            file = ConfigReader(provider: try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
        } catch {
            throw Problem(description: "--config \(path): \(error)")
        }
        self.file = file
    }

    /// The file's value for `key`, or the environment's, or `nil`.
    func int(_ key: String) throws(Problem) -> Int? {
        if let file = self.file, let value = file.int(forKey: ConfigKey(key)) { return value }
        return try self.fromEnvironment(key) { try self.environment.requiredInt(forKey: ConfigKey($0)) }
    }

    /// The file's value for `key` (a whole number is a number too), or the environment's, or `nil`.
    func double(_ key: String) throws(Problem) -> Double? {
        if let file = self.file {
            if let value = file.double(forKey: ConfigKey(key)) { return value }
            if let value = file.int(forKey: ConfigKey(key)) { return Double(value) }
        }
        return try self.fromEnvironment(key) { try self.environment.requiredDouble(forKey: ConfigKey($0)) }
    }

    /// The file's value for `key`, or the environment's, or `nil`.
    func string(_ key: String) throws(Problem) -> String? {
        if let file = self.file, let value = file.string(forKey: ConfigKey(key)) { return value }
        return try self.fromEnvironment(key) { try self.environment.requiredString(forKey: ConfigKey($0)) }
    }

    /// The file's list for `key` (an array of strings, or one string with commas between
    /// them), or the environment's (commas between them), or `nil`.
    func strings(_ key: String) throws(Problem) -> [String]? {
        func split(_ text: String) -> [String] {
            text.split(separator: ",").map { String($0).filter { $0 != " " } }.filter { !$0.isEmpty }
        }
        if let file = self.file {
            if let values = file.stringArray(forKey: ConfigKey(key)) { return values }
            if let value = file.string(forKey: ConfigKey(key)) { return split(value) }
        }
        return try self.fromEnvironment(key) { split(try self.environment.requiredString(forKey: ConfigKey($0))) }
    }

    /// The file's value for `key`, or the environment's, or `nil`.
    func bool(_ key: String) throws(Problem) -> Bool? {
        if let file = self.file, let value = file.bool(forKey: ConfigKey(key)) { return value }
        return try self.fromEnvironment(key) { try self.environment.requiredBool(forKey: ConfigKey($0)) }
    }

    /// The environment's variable for `key` (`chat255.max-clients`: `CHAT255_MAX_CLIENTS`)
    /// read by `read`: `nil` when it is not set, an error naming it when it does not convert.
    private func fromEnvironment<T>(_ key: String, _ read: (String) throws -> T) throws(Problem) -> T? {
        let scoped = "chat255.\(key)"
        guard self.environment.string(forKey: ConfigKey(scoped)) != nil else { return nil }
        do {
            return try read(scoped)
        } catch {
            let name = "CHAT255_" + key.uppercased().replacingOccurrences(of: "-", with: "_")
            throw Problem(description: "\(name) must be \(ServerOption.kinds[key]?.rawValue ?? "a value of its kind")")
        }
    }

    /// Checks the file: it parses, holds one object, each key is an option and each value is
    /// of its option's kind or `null` (which leaves the option unset).
    private static func check(_ path: String) throws(Problem) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Problem(description: "--config \(path): cannot read it (\(error.localizedDescription))")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw Problem(description: "--config \(path): not JSON\(Self.place(of: detail, in: data)): \(detail)")
        }
        guard parsed is [String: Any],
            let object = try? JSONDecoder().decode([String: ConfigurationFileValue].self, from: data)
        else {
            throw Problem(description: "--config \(path): must be one JSON object keyed by option names")
        }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let kind = ServerOption.kinds[key] else {
                throw Problem(
                    description: "--config \(path): unknown key '\(key)' (the keys are the long option names)")
            }
            if case .null = value { continue }
            // Strictly: swift-configuration would read `true` as 1 and `1` as true.
            guard value.fits(kind) else {
                throw Problem(description: "--config \(path): '\(key)' must be \(kind.rawValue)")
            }
        }
    }

    /// ` at line L, column C` for a parser's message that gives the offset (`around character
    /// 38`), or nothing.
    private static func place(of message: String, in data: Data) -> String {
        guard let range = message.range(of: #"character \d+"#, options: .regularExpression),
            let offset = Int(message[range].dropFirst("character ".count)), offset <= data.count
        else { return "" }
        let before = data.prefix(offset)
        let line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let column = offset - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        return " at line \(line), column \(column)"
    }
}
