import ChatWire

/// One change of the cluster's directory, as the scripts publish it on `<name>:events`: a line
/// of text that starts with the version the change made.
///
/// `<v> + <node> <id>` (joined), `<v> - <node> <id>` (left), `<v> x <node> [<node>...]` (nodes
/// gone with all their ids), `<v> *` (many changes at once: read the whole directory again).
enum ClusterEvent: Equatable, Sendable {
    case joined(version: UInt64, node: String, name: ChatName)
    case left(version: UInt64, node: String, name: ChatName)
    case nodesGone(version: UInt64, nodes: [String])
    case reload(version: UInt64)

    /// The version of the directory after this change.
    var version: UInt64 {
        switch self {
        case .joined(let version, _, _), .left(let version, _, _), .nodesGone(let version, _), .reload(let version):
            version
        }
    }

    /// Reads an event line; `nil` when it is not one (it is logged and the directory reloaded).
    init?(line: String) {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 2, let version = UInt64(words[0]) else { return nil }
        switch words[1] {
        case "+", "-":
            guard words.count == 4, let name = try? ChatName(validating: words[3]) else { return nil }
            let node = String(words[2])
            self =
                words[1] == "+"
                ? .joined(version: version, node: node, name: name) : .left(version: version, node: node, name: name)
        case "x":
            guard words.count >= 3 else { return nil }
            self = .nodesGone(version: version, nodes: words.dropFirst(2).map(String.init))
        case "*":
            guard words.count == 2 else { return nil }
            self = .reload(version: version)
        default:
            return nil
        }
    }
}
