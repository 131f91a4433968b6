extension CloseReason {
    /// The limit that turned a connection away as it opened.
    public enum TurnAway: Equatable, Sendable, CustomStringConvertible {
        /// Its address has this many connections open already (`--max-clients-per-ip`).
        case tooManyFromAddress(Int)
        /// Its address opened this many a second already (`--max-connects-per-ip-per-sec`).
        case tooManyNewFromAddress(Int)
        /// This many connections wait for their `Connect` already (`--max-unregistered`).
        case tooManyWaiting(Int)

        /// The words the client is told (`Error <words>`).
        public var description: String {
            switch self {
            case .tooManyFromAddress(let limit): "too many connections from your address (\(limit))"
            case .tooManyNewFromAddress(let limit): "too many new connections from your address (\(limit) a second)"
            case .tooManyWaiting(let limit): "too many connections waiting for Connect (\(limit))"
            }
        }
    }
}
