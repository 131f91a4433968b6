import NIOCore

/// A check's verdict: now, or to come (a password check runs on the thread pool).
enum AdmissionCheckAnswer {
    /// Decided: the refusal, or `nil` to pass.
    case now(CloseReason.Refusal?)
    /// To come, on the connection's loop.
    case later(EventLoopFuture<CloseReason.Refusal?>)
}
