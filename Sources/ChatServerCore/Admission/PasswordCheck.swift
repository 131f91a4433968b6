import NIOCore

/// `--users`: the password must be the account's (`Accounts`: scrypt on the thread pool, the
/// throttle on failed logins per address).
struct PasswordCheck: AdmissionCheck {
    /// The accounts in force.
    let accounts: Accounts

    /// Refuses a wrong password, an unknown id, a throttled address, a server busy checking.
    func check(_ request: AdmissionRequest, on loop: any EventLoop) -> AdmissionCheckAnswer {
        let address = request.peer?.ipAddress ?? "unknown"
        return .later(self.accounts.check(request.id, password: request.password, from: address, on: loop))
    }
}
