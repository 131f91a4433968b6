import ChatWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The accounts the server admits (`--users`): the users file, checked whole on start and on
/// each reload (a bad file leaves the accounts in force), and the per-address throttle on
/// failed logins.
///
/// Checking a password is slow on purpose (scrypt, `PasswordHash`), so it runs on NIO's thread
/// pool, never on an event loop: logins never stall messages. An unknown id costs the same work
/// as a known one and gets the same answer (`Error authentication failed`), so answers and
/// timing do not tell which ids exist.
final class Accounts: Sendable {
    private struct State {
        var directory: UserDirectory
        /// What an unknown id is checked against (same cost, always wrong): made with the
        /// costliest parameters in the file, so that no account answers faster than a stranger.
        /// Swapped with the directory it was made for.
        var decoy: PasswordHash
        var throttle = LoginThrottle()
        /// Checks queued or running on the thread pool.
        var checking = 0
        /// The users file the directory was read from.
        var path: String
    }

    /// The most password checks queued or running at once: beyond, a Connect is told to try
    /// again, so that a flood of logins cannot queue minutes of scrypt ahead of real users.
    static let maxChecks = 64

    private let state: NIOLockedValueBox<State>
    private let clock: any ServerClock
    private let logger: Logger

    /// Loads the users file at `path`.
    init(path: String, clock: any ServerClock, logger: Logger) throws(UserFileError) {
        let directory = try UserDirectory.load(path)
        self.state = NIOLockedValueBox(State(directory: directory, decoy: try Self.decoy(for: directory), path: path))
        self.clock = clock
        self.logger = logger
    }

    /// A hash of a password nobody has, with the costliest parameters of `directory`.
    private static func decoy(for directory: UserDirectory) throws(UserFileError) -> PasswordHash {
        let costliest = directory.accounts.values.max { $0.cost < $1.cost }
        do {
            return try PasswordHash.make(password: Array("decoy".utf8), like: costliest)
        } catch {
            throw .unreadable("cannot hash: \(error)")
        }
    }

    /// The users file.
    var path: String { self.state.withLockedValue { $0.path } }

    /// Reads the file again, or the one at `path` (a reload that names another); on any error
    /// the accounts (and the file) in force stay and the error is thrown. Connected clients are
    /// not touched. Returns how many accounts there are now.
    @discardableResult
    func reload(from path: String? = nil) throws(UserFileError) -> Int {
        let path = path ?? self.path
        let directory = try UserDirectory.load(path)
        let decoy = try Self.decoy(for: directory)
        self.state.withLockedValue { state in
            state.directory = directory
            state.decoy = decoy
            state.path = path
        }
        return directory.accounts.count
    }

    /// How many accounts there are.
    var count: Int { self.state.withLockedValue { $0.directory.accounts.count } }

    /// Checks `password` for `name`, from `address`; the future (on `loop`) holds the refusal,
    /// or `nil` when the password is right.
    func check(
        _ name: ChatName, password: [UInt8]?, from address: String, on loop: any EventLoop
    ) -> EventLoopFuture<CloseReason.Refusal?> {
        let now = self.clock.now
        /// Check against the account's hash (or the decoy's, for an unknown id), or refuse.
        enum Verdict { case check(PasswordHash, known: Bool), blocked, busy }
        let verdict: Verdict = self.state.withLockedValue { state in
            guard state.checking < Self.maxChecks else { return .busy }
            guard state.throttle.start(address, at: now) else { return .blocked }
            state.checking += 1
            let hash = state.directory.accounts[name]
            return .check(hash ?? state.decoy, known: hash != nil)
        }
        let target: PasswordHash
        let known: Bool
        switch verdict {
        case .blocked:
            self.logger.warning(
                "login refused: too many failed logins", metadata: ["peer": "\(address)", "id": "\(name)"])
            return loop.makeSucceededFuture(.tooManyFailedLogins)
        case .busy:
            self.logger.warning("login refused: too many logins in progress", metadata: ["peer": "\(address)"])
            return loop.makeSucceededFuture(.unavailable("too many logins in progress; try again"))
        case .check(let hash, let isAccount):
            target = hash
            known = isAccount && password != nil
        }
        let candidate = password ?? []
        return NIOThreadPool.singleton.runIfActive(eventLoop: loop) {
            target.matches(candidate) && known
        }.recover { _ in false }.map { matched -> CloseReason.Refusal? in
            let blocked = self.state.withLockedValue { state in
                state.checking -= 1
                if matched { state.throttle.succeeded(address, startedAt: now) }
                return state.throttle.isBlocked(address, at: self.clock.now)
            }
            if matched { return nil }
            self.logger.warning(
                "login failed", metadata: ["peer": "\(address)", "id": "\(name)", "now-blocked": "\(blocked)"])
            return .authenticationFailed
        }
    }
}
