/// The client's current session, shared by the input, the events and the signal tasks; `nil`
/// while reconnecting. Remembers a quit asked for while there was no session.
actor SessionHolder {
    private(set) var session: ChatSession?
    private(set) var isQuitting = false

    init(_ session: ChatSession) {
        self.session = session
    }

    /// The connection was lost: no session until `replace(with:)`.
    func lost() {
        self.session = nil
    }

    /// A new session after reconnecting (closed at once if the user quit meanwhile).
    func replace(with session: ChatSession) async {
        self.session = session
        if self.isQuitting { await session.quit() }
    }

    /// Quits the current session, or marks the quit for when there is none.
    func quit() async {
        self.isQuitting = true
        await self.session?.quit()
    }
}
