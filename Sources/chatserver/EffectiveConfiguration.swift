import ChatServerCore
import Foundation

/// `chatserver --print-config`: the configuration in force, one JSON object keyed by the long
/// option names, every option present (`null` where unset), secrets masked (the password in a
/// `--cluster` URL). Keys and values are those the options take, so the output documents
/// exactly what the server would run with.
enum EffectiveConfiguration {
    /// Writes the JSON text to standard output.
    static func print(_ configuration: ServerConfiguration, command: ChatServerCommand) throws {
        FileHandle.standardOutput.write(Data(try Self.json(configuration, command: command).utf8))
    }

    /// The JSON text, keys sorted, for `configuration` as `command` resolved it.
    static func json(_ configuration: ServerConfiguration, command: ChatServerCommand) throws -> String {
        let data = try JSONSerialization.data(
            withJSONObject: Self.values(configuration, command: command),
            options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Each option's value as JSON text (`null` where unset), to compare two configurations:
    /// `exact`, secrets unmasked (never to be printed).
    static func texts(
        _ configuration: ServerConfiguration, command: ChatServerCommand, exact: Bool = false
    ) throws -> [String: String] {
        var texts: [String: String] = [:]
        for option in ServerOption.all {
            let value = (exact ? option.exact : nil)?(configuration, command) ?? option.value(configuration, command)
            let data = try JSONSerialization.data(withJSONObject: [value], options: [.withoutEscapingSlashes])
            // `[value]`: the value alone, as the file would hold it.
            texts[option.name] = String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        return texts
    }

    /// Each option's value, as `JSONSerialization` takes it.
    private static func values(_ configuration: ServerConfiguration, command: ChatServerCommand) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: ServerOption.all.map { ($0.name, $0.value(configuration, command)) })
    }
}
