/// How a presence's backbone stands, for health checks and metrics (`Presence.backbone`).
public struct BackboneStatus: Sendable, Equatable {
    /// Connected and registered, with a valid lease.
    public var up: Bool
    /// The nodes known to hold clients, this one included.
    public var nodes: Int
    /// Why this node should not take clients now (`/readyz` answers 503 with it); `nil`: ready.
    public var problem: String?

    /// A status.
    public init(up: Bool, nodes: Int, problem: String?) {
        self.up = up
        self.nodes = nodes
        self.problem = problem
    }
}
