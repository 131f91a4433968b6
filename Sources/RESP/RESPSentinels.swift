public import NIOCore

/// Redis behind Sentinel, from a URL:
/// `redis-sentinel://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER-NAME`. The sentinels
/// name the primary of MASTER-NAME (`SENTINEL get-master-addr-by-name`); the credentials are
/// the primary's, and a sentinel's too when it asks for them (`requirepass` on the sentinel).
public struct RESPSentinels: Equatable, Sendable, CustomStringConvertible {
    /// The sentinels, asked in this order.
    public let sentinels: [RESPEndpoint]
    /// The name the sentinels monitor the primary under (`sentinel monitor NAME …`).
    public let masterName: String
    /// The user to `AUTH` as (`nil`: the default user).
    public let user: String?
    /// The password (`nil`: no `AUTH`).
    public let password: String?

    /// Parses `url`; the error says what is wrong with it.
    public init(url: String) throws(RESPEndpointError) {
        let scheme = "redis-sentinel://"
        guard url.hasPrefix(scheme) else { throw .invalid("'\(url)' does not start with \(scheme)") }
        var rest = Substring(url.dropFirst(scheme.count))
        guard let slash = rest.lastIndex(of: "/"), rest.index(after: slash) < rest.endIndex else {
            throw .invalid("'\(url)' names no primary (redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER-NAME)")
        }
        let name = String(rest[rest.index(after: slash)...])
        guard name.utf8.count <= 256, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw .invalid("the primary's name in '\(url)' must be printable ASCII without spaces")
        }
        rest = rest[..<slash]
        var credentials = ""
        if let at = rest.lastIndex(of: "@") {
            credentials = String(rest[..<at]) + "@"
            rest = rest[rest.index(after: at)...]
        }
        let addresses = rest.split(separator: ",", omittingEmptySubsequences: false)
        guard !addresses.isEmpty, addresses.count <= 64 else {
            throw .invalid("'\(url)' names no sentinel (or more than 64)")
        }
        var sentinels: [RESPEndpoint] = []
        for address in addresses {
            do {
                sentinels.append(try RESPEndpoint(url: "redis://\(address)"))
            } catch {
                throw .invalid("the sentinel '\(address)' in '\(url)' is not HOST:PORT")
            }
        }
        let primary = try RESPEndpoint(url: "redis://\(credentials)127.0.0.1:1")  // the credentials' rules
        self.sentinels = sentinels
        self.masterName = name
        self.user = primary.user
        self.password = primary.password
    }

    /// The URL with the password hidden, for logs.
    public var description: String {
        let credentials = RESPEndpoint.hiddenCredentials(user: self.user, password: self.password)
        let hosts = self.sentinels.map(\.hostAndPort)
        return "redis-sentinel://\(credentials)\(hosts.joined(separator: ","))/\(self.masterName)"
    }

    /// The primary a majority of the sentinels name now, with this URL's credentials. The
    /// sentinels are asked at once, each within `timeout`, and the answer is given as soon as a
    /// majority agrees: one that is down or slow holds up nobody once the others agree (a
    /// busy machine's sentinels may take more than a second, and a start must not mistake
    /// "slow" for "out of reach"). A majority, not the first answer: while sentinels disagree
    /// (one still on an older failover), a node must not follow the minority to a primary
    /// that is about to be demoted, and write there what the others never see.
    ///
    /// - Throws: `RESPError.unknownPrimary` when every sentinel that answered knows no primary
    ///   of that name (a setting, not an outage); `RESPError.noSentinel` with each one's
    ///   trouble when no majority answered alike.
    public func primary(on loop: any EventLoop, timeout: Duration) async throws -> RESPEndpoint {
        guard !self.sentinels.isEmpty else { throw RESPError.noSentinel("no sentinel given") }
        let (answered, collect) = AsyncStream.makeStream(of: Answer.self)
        defer { collect.finish() }
        // Unstructured: a task group would wait for the slowest; the others end at `timeout`.
        for sentinel in self.sentinels {
            Task { collect.yield(await self.ask(sentinel, on: loop, timeout: timeout)) }
        }
        var answers: [Answer] = []
        var votes: [String: Int] = [:]
        for await answer in answered {
            answers.append(answer)
            if case .named(let endpoint) = answer {
                votes[endpoint.hostAndPort, default: 0] += 1
                if votes[endpoint.hostAndPort, default: 0] > self.sentinels.count / 2 { return endpoint }
            }
            if answers.count == self.sentinels.count { break }
        }
        if answers.allSatisfy({ if case .unknown = $0 { true } else { false } }) {
            throw RESPError.unknownPrimary(self.masterName)
        }
        let troubles = answers.map { answer in
            switch answer {
            case .named(let endpoint): "one names \(endpoint.host):\(endpoint.port)"
            case .unknown(let sentinel): "\(sentinel) knows no primary named \(self.masterName)"
            case .failed(let trouble): trouble
            }
        }
        throw RESPError.noSentinel("no majority names one primary: " + troubles.sorted().joined(separator: "; "))
    }

    /// What one sentinel said.
    private enum Answer: Sendable {
        case named(RESPEndpoint)
        case unknown(String)
        case failed(String)
    }

    /// Asks `sentinel` for the primary (`AUTH` first if it asks for it).
    private func ask(_ sentinel: RESPEndpoint, on loop: any EventLoop, timeout: Duration) async -> Answer {
        let name = "\(sentinel.host):\(sentinel.port)"
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        do {
            let connection = try await RESPConnection.connect(to: sentinel, on: loop, timeout: timeout)
            defer { Task { await connection.close() } }
            let guardTask = loop.scheduleTask(in: TimeAmount(timeout)) { connection.channel.close(promise: nil) }
            defer { guardTask.cancel() }
            let question: [RESPArgument] = ["SENTINEL", "get-master-addr-by-name", .text(self.masterName)]
            var answer: RESPValue
            do {
                answer = try await connection.send(question).get()
            } catch RESPError.server(let text) where text.hasPrefix("NOAUTH") && self.password != nil {
                let user: [RESPArgument] = self.user.map { [.text($0)] } ?? []
                _ = try await connection.send(["AUTH"] + user + [.text(self.password ?? "")]).get()
                answer = try await connection.send(question).get()
            }
            guard let parts = answer.elements, parts.count == 2, let host = parts[0].text,
                let portText = parts[1].text, let port = Int(portText), (1...65_535).contains(port)
            else { return .unknown(name) }
            return .named(RESPEndpoint(host: host, port: port, user: self.user, password: self.password))
        } catch {
            // The guard closes the connection at the deadline: say so, not "I/O on closed channel".
            guard NIODeadline.now() < deadline else { return .failed("\(name): no answer within \(timeout)") }
            return .failed("\(name): \(error)")
        }
    }
}
