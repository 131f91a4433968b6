import Crypto
import _CryptoExtras

/// A password as the users file keeps it: a salted scrypt hash in the PHC string format,
/// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64 without padding). Never the password.
///
/// scrypt (RFC 7914) because it is slow and memory-hard: 2^15 rounds of 1 KiB blocks take 32 MiB
/// and some 60 ms per guess here, which a GPU cannot make cheap by running thousands at once as
/// it can PBKDF2. The parameters are stored with each hash, so a later default does not break
/// old entries. docs/SECURITY.md says more.
public struct PasswordHash: Sendable, Equatable, CustomStringConvertible {
    /// log2 of scrypt's rounds (N).
    let logRounds: Int
    /// scrypt's block size (r).
    let blockSize: Int
    /// scrypt's parallelism (p).
    let parallelism: Int
    let salt: [UInt8]
    let hash: [UInt8]

    /// The parameters new hashes get: N = 2^15, r = 8, p = 1 (32 MiB).
    static let defaultLogRounds = 15
    static let hashLength = 32
    static let saltLength = 16

    /// Hashes `password` with a fresh random salt and the default parameters (or those of `model`).
    public static func make(password: [UInt8], like model: PasswordHash? = nil) throws -> PasswordHash {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return try PasswordHash(
            password: password, salt: salt, logRounds: model?.logRounds ?? Self.defaultLogRounds,
            blockSize: model?.blockSize ?? 8, parallelism: model?.parallelism ?? 1,
            length: model?.hash.count ?? Self.hashLength)
    }

    /// Memory times passes, to compare the work of two hashes.
    var cost: Int { (1 << self.logRounds) * self.blockSize * self.parallelism }

    /// Hashes `password` with `salt` and N = 2^`logRounds`, r = `blockSize`, p = `parallelism`.
    init(
        password: [UInt8], salt: [UInt8], logRounds: Int, blockSize: Int = 8, parallelism: Int = 1,
        length: Int = PasswordHash.hashLength
    ) throws {
        self.init(
            logRounds: logRounds, blockSize: blockSize, parallelism: parallelism, salt: salt,
            hash: try Self.derive(
                password, salt: salt, logRounds: logRounds, blockSize: blockSize, parallelism: parallelism,
                length: length))
    }

    private init(logRounds: Int, blockSize: Int, parallelism: Int, salt: [UInt8], hash: [UInt8]) {
        self.logRounds = logRounds
        self.blockSize = blockSize
        self.parallelism = parallelism
        self.salt = salt
        self.hash = hash
    }

    /// Reads the PHC string; `nil` when it is not one this server makes (the reason is the
    /// caller's to say, with the line).
    public init?(phc text: Substring) {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt" else { return nil }
        var values: [Substring: Int] = [:]
        for pair in fields[2].split(separator: ",") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let value = Int(parts[1]) else { return nil }
            values[parts[0]] = value
        }
        // Bounded: one check of the costliest allowed takes 128 MiB (N = 2^17, r = 8) at most.
        guard let logRounds = values["ln"], (10...17).contains(logRounds),
            let blockSize = values["r"], (1...8).contains(blockSize),
            let parallelism = values["p"], (1...4).contains(parallelism), values.count == 3,
            let salt = Base64.decode(fields[3]), salt.count >= 8,
            let hash = Base64.decode(fields[4]), hash.count >= 16
        else { return nil }
        self.init(logRounds: logRounds, blockSize: blockSize, parallelism: parallelism, salt: salt, hash: hash)
    }

    /// The PHC string.
    public var description: String {
        "$scrypt$ln=\(self.logRounds),r=\(self.blockSize),p=\(self.parallelism)$\(Base64.encode(self.salt))$\(Base64.encode(self.hash))"
    }

    /// Whether `password` is the one hashed (slow on purpose; compared in constant time).
    public func matches(_ password: [UInt8]) -> Bool {
        guard
            let derived = try? Self.derive(
                password, salt: self.salt, logRounds: self.logRounds, blockSize: self.blockSize,
                parallelism: self.parallelism, length: self.hash.count)
        else { return false }
        return Self.constantTimeEqual(derived, self.hash)
    }

    /// Equal bytes, in a time that depends only on the length.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func derive(
        _ password: [UInt8], salt: [UInt8], logRounds: Int, blockSize: Int, parallelism: Int,
        length: Int = PasswordHash.hashLength
    ) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: password, salt: salt, outputByteCount: length, rounds: 1 << logRounds, blockSize: blockSize,
            parallelism: parallelism)
        return key.withUnsafeBytes { Array($0) }
    }
}
