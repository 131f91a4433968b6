import Logging

/// A log handler that keeps its level (so that code asking `logger.logLevel` sees it) and
/// drops every message: tests can run the server's logging paths without printing.
struct DiscardingLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {}
}
