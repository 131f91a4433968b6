/// What presence says to a Connect.
public enum Admission: Equatable, Sendable {
    /// The client is online.
    case admitted
    /// Refused; the connection is told why and closed.
    case refused(CloseReason.Refusal)
}
