public import NIOCore

/// chat255 straight over TCP, as the assignment has it: nothing in front of the connection handler.
public struct PlainTCP: ChatTransport {
    /// Plain TCP.
    public init() {}

    /// `tcp`.
    public var name: String { "tcp" }

    /// Adds nothing.
    public func configure(_ channel: any Channel) throws {}
}
