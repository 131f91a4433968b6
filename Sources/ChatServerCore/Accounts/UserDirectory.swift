import ChatSystem
public import ChatWire

/// The users file (`--users`): one account a line, `<id>:<password hash>` (`PasswordHash`, a
/// PHC string); blank lines and lines starting with `#` are ignored. Read whole and checked
/// before use: any bad line is an error that names it, and nothing of the file is used.
public struct UserDirectory: Sendable, Equatable {
    /// The accounts, id to hash.
    public private(set) var accounts: [ChatName: PasswordHash] = [:]

    /// No accounts.
    public init() {}

    /// Parses the file's text.
    public init(parsing text: String) throws(UserFileError) {
        // "\r\n" is one Character in Swift: both ends of line are separators.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, content) in lines.enumerated() {
            let number = index + 1
            if content.allSatisfy({ $0 == " " || $0 == "\t" }) || content.hasPrefix("#") { continue }
            guard let colon = content.firstIndex(of: ":") else {
                throw .badLine(number, "expected '<id>:<password hash>'")
            }
            let name: ChatName
            do {
                name = try ChatName(validating: content[..<colon])
            } catch {
                throw .badLine(number, "'\(content[..<colon])' is not a valid id: \(error)")
            }
            guard name != .all, name != .server else { throw .badLine(number, "'\(name)' is reserved") }
            guard let hash = PasswordHash(phc: content[content.index(after: colon)...]) else {
                throw .badLine(number, "the password hash is not a $scrypt$ PHC string this server reads")
            }
            guard self.accounts[name] == nil else { throw .badLine(number, "'\(name)' is listed twice") }
            self.accounts[name] = hash
        }
    }

    /// Reads and checks the users file at `path` (as the server does, at start and on SIGHUP).
    public static func load(_ path: String) throws(UserFileError) -> UserDirectory {
        let text: String
        do {
            text = try TextFile.read(path)
        } catch {
            throw .unreadable(error.description)
        }
        return try UserDirectory(parsing: text)
    }

    /// The file's text: one line per account, sorted by id, after a comment that says what it is.
    public var text: String {
        var lines = ["# chat255 users: <id>:<scrypt hash>; edit with 'chatserver passwd'"]
        for name in self.accounts.keys.sorted() {
            if let hash = self.accounts[name] { lines.append("\(name):\(hash)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Sets (adds or changes) `name`'s password hash.
    public mutating func set(_ name: ChatName, _ hash: PasswordHash) {
        self.accounts[name] = hash
    }

    /// Removes `name`; `false` if it was not there.
    @discardableResult
    public mutating func remove(_ name: ChatName) -> Bool {
        self.accounts.removeValue(forKey: name) != nil
    }
}

/// Why a users file cannot be used.
public enum UserFileError: Error, Equatable, CustomStringConvertible {
    /// Line `number` is not an account line (why).
    case badLine(Int, String)
    /// The file cannot be read or written (why).
    case unreadable(String)

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .badLine(let number, let why): "line \(number): \(why)"
        case .unreadable(let why): why
        }
    }
}
