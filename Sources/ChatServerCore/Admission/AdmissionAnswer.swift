public import NIOCore

/// A decision now, or one to come.
public enum AdmissionAnswer: Sendable {
    /// Decided at once (the in-process registry).
    case now(Admission)
    /// Decided later (a presence that asks another process); frames that arrive meanwhile are
    /// held, in order, and handled after the answer.
    case later(EventLoopFuture<Admission>)

    /// The answer as a future on `loop` (for a step that is asynchronous anyway, as a password
    /// check before it).
    func future(on loop: any EventLoop) -> EventLoopFuture<Admission> {
        switch self {
        case .now(let admission): loop.makeSucceededFuture(admission)
        case .later(let answer): answer
        }
    }
}
