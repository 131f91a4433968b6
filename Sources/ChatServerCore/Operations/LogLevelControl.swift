public import Logging
import Synchronization

/// The log level in force, changed while the server runs (SIGHUP with a new `log-level` in the
/// configuration file): every logger made by `handler(_:)` reads it at each log call.
public final class LogLevelControl: Sendable {
    private let level: Atomic<UInt8>

    /// Starts at `level`.
    public init(_ level: Logger.Level) {
        self.level = Atomic(Self.code(level))
    }

    /// The level in force.
    public var current: Logger.Level {
        Logger.Level.allCases[Int(self.level.load(ordering: .relaxed))]
    }

    /// Sets the level in force.
    public func set(_ level: Logger.Level) {
        self.level.store(Self.code(level), ordering: .relaxed)
    }

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 2)
    }

    /// `base`, its level read from this control.
    public func handler(_ base: any LogHandler) -> any LogHandler {
        ControlledLogHandler(base: base, control: self)
    }
}

/// A log handler whose level is the control's (`LogLevelControl`).
private struct ControlledLogHandler: LogHandler {
    var base: any LogHandler
    let control: LogLevelControl

    var logLevel: Logger.Level {
        get { self.control.current }
        set { self.control.set(newValue) }
    }

    var metadata: Logger.Metadata {
        get { self.base.metadata }
        set { self.base.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.base[metadataKey: key] }
        set { self.base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        self.base.log(event: event)
    }
}
