public import Logging

/// A log handler that keeps its level (so that code asking `logger.logLevel` sees it) and
/// drops every message: tests can run the server's logging paths without printing.
public struct DiscardingLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    /// A handler at level `.info`.
    public init() {}
    public var metadata: Logger.Metadata = [:]

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {}
}
