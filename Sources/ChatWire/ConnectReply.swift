public import NIOCore

/// The server's answer to `Connect`, read leniently: we send `Connected <interval>`, and other
/// implementations of the assignment answer with the interval alone, with `Connected` and no
/// interval, or with a greeting of their own (docs/PROTOCOL.md, "Compatibility").
public enum ConnectReply: Equatable, Sendable {
    /// `Error <text>` (the text), or a first word that begins with `error` in any case (the
    /// whole body, white space collapsed): refused.
    case refused(String)
    /// Admitted: `Connected <interval>`, a bare `<interval>`, or `Connected` with no number
    /// (`nil`: no interval announced; a number out of `HeartbeatInterval`'s range, such as `0`
    /// or `100000`, is none). White space around the words is ignored.
    case connected(interval: Duration?)
    /// Any other text: the server admitted us in words of its own, which the user is shown.
    case other(String)

    /// Reads the body of the server's first frame.
    public static func parse(_ body: ByteBuffer) -> ConnectReply {
        switch try? ServerControl.parse(body) {
        case .connected(let interval)?: return .connected(interval: interval)
        case .error(let text)?: return .refused(text)
        case .list?, .offline?, .online?, .changed?, nil: break
        }
        let text = String(buffer: body)
        let words = text.split(whereSeparator: \.isWhitespace)
        if words.count == 1, let interval = HeartbeatInterval.parse(words[0]) {
            return .connected(interval: interval)
        }
        // A refusal in other words (`Error: name taken`, `ERROR taken`): its whole text.
        if let first = words.first, first.lowercased().hasPrefix("error") {
            return .refused(words.joined(separator: " "))
        }
        guard words.first == "Connected" else { return .other(text) }
        return .connected(interval: words.dropFirst().first.flatMap { HeartbeatInterval.parse($0) })
    }
}
