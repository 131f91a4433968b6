import ChatWire
import UnixSignals

/// The `chatclient` program: connects, then runs three things at once until one ends the
/// session: the user's input, the server's events, and SIGINT/SIGTERM.
///
/// Quitting (`@Quit`, end of input, Ctrl-C, SIGINT, SIGTERM) always goes the same way: what
/// was typed before is already sent (input is handled in order), then `Quit <id>` is sent and
/// the client waits for the server to close, printing any answers still on their way.
public enum ChatClientApp {
    /// Exit codes.
    public enum ExitCode {
        /// The user quit.
        public static let success: Int32 = 0
        /// No server, a refused Connect, or the server lost.
        public static let failure: Int32 = 1
        /// Bad command-line input.
        public static let usage: Int32 = 64
    }

    /// Runs the client; returns the process's exit code.
    public static func run(_ options: ClientOptions) async -> Int32 {
        let interactive = options.interactive ?? (Terminal.inputIsTerminal && Terminal.outputIsTerminal)
        let session: ChatSession
        do {
            session = try await Self.connect(options)
        } catch {
            // The reason may quote the server: no control character reaches the terminal.
            StandardStreams.error(
                "chatclient: \(options.host):\(options.port): \(EventFormatter.printable(error.description))\n")
            return ExitCode.failure
        }
        let formatter = EventFormatter(colored: interactive && options.colored)
        let console = Console(formatter: formatter, interactive: interactive, id: options.id)
        if interactive, !Terminal.enterRawMode() {
            StandardStreams.error("chatclient: cannot switch the terminal to raw mode\n")
        }
        await console.notice(
            "connected to \(options.host):\(options.port) as \(options.id.text); "
                + "heartbeat every \(HeartbeatInterval.format(session.heartbeatInterval))s"
                + (interactive ? "; @Help for help" : ""))
        if session.announcedInterval == nil {
            await console.notice(Self.noIntervalNotice(heartbeat: session.heartbeatInterval))
        }
        await console.start()

        let holder = SessionHolder(session)
        let code = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await Self.showEvents(holder: holder, first: session, options: options, console: console) }
            group.addTask {
                if interactive {
                    await Self.readKeys(into: holder, console: console)
                } else {
                    await Self.readLines(into: holder, console: console)
                }
                return nil
            }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                    await holder.quit()
                    break
                }
                return nil
            }
            var code: Int32 = ExitCode.failure
            for await result in group {
                if let result {
                    code = result
                    break
                }
            }
            group.cancelAll()
            return code
        }
        await console.finish()
        return code
    }

    /// The one line that says the server announced no heartbeat interval, and what we do.
    static func noIntervalNotice(heartbeat: Duration) -> String {
        "the server announced no heartbeat interval: sending Alive every \(HeartbeatInterval.format(heartbeat))s (the default)"
    }

    /// Shows events until the session ends: exit code 0 if we quit, 1 if the server was lost
    /// (after reconnecting, with `--reconnect`, is no longer possible: never, until we quit).
    private static func showEvents(
        holder: SessionHolder, first: ChatSession, options: ClientOptions, console: Console
    ) async -> Int32 {
        var session = first
        var options = options
        while true {
            var refusedChanges = false
            for await event in session.events {
                if case .disconnected(let reason) = event {
                    if reason == .closedByUs { return ExitCode.success }
                    refusedChanges = reason == .closedAfterChangeRequest && options.changeEvents
                    if !refusedChanges { await console.problem("lost the server: \(reason)") }
                    break
                }
                await console.show(event)
            }
            if refusedChanges {
                // Once, without asking: this server takes only the assignment's words.
                options.changeEvents = false
                await console.notice("\(DisconnectReason.closedAfterChangeRequest); connecting again without them")
                await holder.lost()
                do {
                    let next = try await Self.connect(options)
                    await holder.replace(with: next)
                    await console.notice("reconnected to \(options.host):\(options.port) as \(options.id.text)")
                    session = next
                    continue
                } catch {
                    await console.problem("reconnecting failed: \(EventFormatter.printable("\(error)"))")
                }
            }
            guard options.reconnect else { return ExitCode.failure }
            await holder.lost()
            guard let next = await Self.reconnect(options: options, holder: holder, console: console) else {
                return ExitCode.success  // the user quit while we were reconnecting
            }
            session = next
        }
    }

    /// Tries to connect and register again, waiting longer after each failure; `nil` if the
    /// user quit meanwhile.
    /// One session as `options` say (the first one, and each after a loss).
    private static func connect(_ options: ClientOptions) async throws(ClientError) -> ChatSession {
        try await ChatSession.connect(
            id: options.id, host: options.host, port: options.port, changeEvents: options.changeEvents,
            password: options.password, tls: options.tls)
    }

    private static func reconnect(options: ClientOptions, holder: SessionHolder, console: Console) async -> ChatSession?
    {
        var reconnector = Reconnector(backoff: options.backoff, clock: ContinuousClock())
        return await reconnector.run(
            isQuitting: { await holder.isQuitting },
            waiting: { delay in
                let tenths = Int((delay / .milliseconds(100)).rounded())
                await console.notice("reconnecting in \(tenths / 10).\(tenths % 10) s")
            },
            attempt: {
                do {
                    let session = try await Self.connect(options)
                    await holder.replace(with: session)
                    await console.notice("reconnected to \(options.host):\(options.port) as \(options.id.text)")
                    if session.announcedInterval == nil {
                        await console.notice(Self.noIntervalNotice(heartbeat: session.heartbeatInterval))
                    }
                    return session
                } catch {
                    await console.problem("reconnecting failed: \(EventFormatter.printable("\(error)"))")
                    return nil
                }
            })
    }

    /// Plain mode: one command per line; end of input quits.
    private static func readLines(into holder: SessionHolder, console: Console) async {
        for await line in StandardInput.lines(StandardInput.chunks()) {
            if await !Self.perform(InputCommand.parse(line), holder: holder, console: console) { return }
        }
        await holder.quit()
    }

    /// Terminal mode: keys through the line editor; Ctrl-D on an empty line or Ctrl-C quits.
    private static func readKeys(into holder: SessionHolder, console: Console) async {
        for await chunk in StandardInput.chunks() {
            for outcome in await console.type(chunk) {
                switch outcome {
                case .submit(let line):
                    if await !Self.perform(InputCommand.parse(line), holder: holder, console: console) { return }
                case .endOfInput, .interrupt:
                    await holder.quit()
                    return
                case .redraw, .bell:
                    break
                }
            }
        }
        await holder.quit()
    }

    /// Carries out one command; `false` once the session is over.
    private static func perform(_ command: InputCommand, holder: SessionHolder, console: Console) async -> Bool {
        if case .quit = command {
            await holder.quit()
            return false
        }
        guard let session = await holder.session else {
            if case .help = command {
                await console.plain(InputCommand.helpText.split(separator: "\n").map(String.init))
            } else if command != .empty {
                await console.problem("not connected (reconnecting): nothing sent")
            }
            return true
        }
        do {
            switch command {
            case .message(let target, let text):
                try await session.send(text, to: target)
            case .list:
                try await session.requestList()
            case .quit:
                return false  // handled above
            case .help:
                await console.plain(InputCommand.helpText.split(separator: "\n").map(String.init))
            case .empty:
                break
            case .invalid(let hint):
                await console.problem(hint)
            }
        } catch {
            // The connection is gone; the events say why (and, with --reconnect, a new one comes).
            return true
        }
        return true
    }
}
