#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// This process as its lease in Redis names it: a token no other process has, then where it
/// serves. Two processes started with one `--node-id` tell each other apart by the token; the
/// second one is told where the first one runs (`ClusterError.duplicateNode`).
struct ClusterInstance: Sendable {
    /// The token's length: 16 hex digits (64 random bits).
    static let tokenLength = 16
    /// Random, for this process's life.
    let token: String
    /// Where it listens (`HOST:PORT`), once it does; until then, nothing.
    var address: String?

    /// A new process's instance, with a fresh token.
    init() {
        let digits = String(UInt64.random(in: .min ... .max), radix: 16)
        self.token = String(repeating: "0", count: Self.tokenLength - digits.count) + digits
    }

    /// The lease's value in Redis: the token, then who this is, for a person.
    var leaseValue: String {
        "\(self.token) " + (self.address.map { "serving at \($0), " } ?? "") + "pid \(getpid()) on \(Self.hostName)"
    }

    /// What a lease's value says about the process that holds it, without its token.
    static func holder(inLeaseValue value: String) -> String {
        String(value.dropFirst(Self.tokenLength + 1))
    }

    /// This machine's name.
    private static let hostName: String = {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "this host" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
}
