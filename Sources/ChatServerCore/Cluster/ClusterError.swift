/// Why a node cannot join its cluster at start (the server exits before listening).
public enum ClusterError: Error, Equatable, CustomStringConvertible {
    /// Redis refused the credentials (its answer).
    case refused(String)
    /// The server at the address is not a Redis this cluster can use (why).
    case unusable(String)
    /// Another live process runs as this node id (the id, and who that process is).
    case duplicateNode(id: String, holder: String)

    /// The reason, in words for a person.
    public var description: String {
        switch self {
        case .refused(let text): "Redis refused the connection: \(text)"
        case .unusable(let text): text
        case .duplicateNode(let id, let holder):
            "another process is already node \(id) of this cluster and holds its lease (\(holder)): "
                + "give each process its own --node-id"
        }
    }
}
