public import NIOCore

/// A message published on a channel this connection subscribed to (`SUBSCRIBE`, `PSUBSCRIBE`).
public struct RESPMessage: Sendable, Equatable {
    /// The channel it was published on.
    public let channel: String
    /// What was published.
    public let payload: ByteBuffer

    /// A message as `channel` and `payload`.
    public init(channel: String, payload: ByteBuffer) {
        self.channel = channel
        self.payload = payload
    }

    /// The message in a value Redis pushes, or `nil` when the value is anything else:
    /// `["message", channel, payload]` or `["pmessage", pattern, channel, payload]`.
    init?(_ value: RESPValue) {
        guard let elements = value.elements, let kind = elements.first?.text else { return nil }
        switch (kind, elements.count) {
        case ("message", 3):
            guard let channel = elements[1].text, case .bulkString(let payload?) = elements[2] else { return nil }
            self.init(channel: channel, payload: payload)
        case ("pmessage", 4):
            guard let channel = elements[2].text, case .bulkString(let payload?) = elements[3] else { return nil }
            self.init(channel: channel, payload: payload)
        default:
            return nil
        }
    }
}
