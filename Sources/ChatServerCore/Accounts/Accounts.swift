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
        var throttle = LoginThrottle()
    }

    /// The users file.
    let path: String
    private let state: NIOLockedValueBox<State>
    private let clock: any ServerClock
    private let logger: Logger
    /// What an unknown id is checked against (same cost, always wrong).
    private let decoy: PasswordHash

    /// Loads the users file at `path`.
    init(path: String, clock: any ServerClock, logger: Logger) throws(UserFileError) {
        self.path = path
        self.state = NIOLockedValueBox(State(directory: try Self.load(path)))
        self.clock = clock
        self.logger = logger
        do {
            self.decoy = try PasswordHash.make(password: Array("decoy".utf8))
        } catch {
            throw .unreadable("cannot hash: \(error)")
        }
    }

    /// Reads and checks the users file.
    static func load(_ path: String) throws(UserFileError) -> UserDirectory {
        try UserDirectory(parsing: try TextFile.read(path))
    }

    /// Reads the file again; on any error the accounts in force stay and the error is thrown.
    /// Connected clients are not touched. Returns how many accounts there are now.
    @discardableResult
    func reload() throws(UserFileError) -> Int {
        let directory = try Self.load(self.path)
        self.state.withLockedValue { $0.directory = directory }
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
        let (allowed, hash) = self.state.withLockedValue { state in
            (state.throttle.mayTry(address, at: now), state.directory.accounts[name])
        }
        guard allowed else {
            self.logger.warning(
                "login refused: too many failed logins", metadata: ["peer": "\(address)", "id": "\(name)"])
            return loop.makeSucceededFuture(.tooManyFailedLogins)
        }
        let candidate = password ?? []
        let known = hash != nil && password != nil
        let target = hash ?? self.decoy
        return NIOThreadPool.singleton.runIfActive(eventLoop: loop) {
            target.matches(candidate) && known
        }.map { matched -> CloseReason.Refusal? in
            if matched { return nil }
            let blocked = self.state.withLockedValue { $0.throttle.failed(address, at: self.clock.now) }
            self.logger.warning(
                "login failed", metadata: ["peer": "\(address)", "id": "\(name)", "now-blocked": "\(blocked)"])
            return .authenticationFailed
        }.recover { _ in .authenticationFailed }
    }
}
