import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The controlling terminal: raw mode for the line editor, its width, and restoring it.
///
/// The settings found at `enterRawMode()` are kept here so that every exit path, normal or
/// through `exit()`, puts them back (`restore()` is also registered with `atexit`).
public enum Terminal {
    private static let saved = NIOLockedValueBox<termios?>(nil)

    /// Whether standard input is a terminal.
    public static var inputIsTerminal: Bool { isatty(0) == 1 }

    /// Whether standard output is a terminal.
    public static var outputIsTerminal: Bool { isatty(1) == 1 }

    /// Switches standard input to raw mode (no echo, no line buffering, no signals from keys).
    /// Output post-processing stays on, so `\n` still returns the carriage.
    public static func enterRawMode() -> Bool {
        var original = termios()
        guard tcgetattr(0, &original) == 0 else { return false }
        var raw = original
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL | BRKINT | INPCK | ISTRIP)
        raw.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(0, TCSAFLUSH, &raw) == 0 else { return false }
        let first = Self.saved.withLockedValue { saved in
            defer { saved = original }
            return saved == nil
        }
        if first { atexit { Terminal.restore() } }
        return true
    }

    /// Puts back the settings found at `enterRawMode()`; does nothing if raw mode was never entered.
    public static func restore() {
        guard var original = Self.saved.withLockedValue({ $0 }) else { return }
        _ = tcsetattr(0, TCSAFLUSH, &original)
    }

    /// The terminal's width in columns (80 when it cannot be told).
    public static var columns: Int {
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
