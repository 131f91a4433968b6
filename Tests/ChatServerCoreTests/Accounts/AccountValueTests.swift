import ChatWire
import NIOCore
import Testing

@testable import ChatServerCore

@Suite("Accounts: password hashes, the users file, the login throttle")
struct AccountValueTests {
    @Test("A password hash matches its password only, keeps its parameters, and reads back from its PHC string")
    func hashes() throws {
        let hash = try PasswordHash(
            password: Array("correct horse".utf8), salt: Array(repeating: 7, count: 16), logRounds: 10)
        #expect(hash.matches(Array("correct horse".utf8)))
        #expect(!hash.matches(Array("correct hors".utf8)))
        #expect(!hash.matches([]))
        let text = hash.description
        #expect(text.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(PasswordHash(phc: Substring(text)) == hash)
        let fresh = try PasswordHash.make(password: Array("x".utf8))
        #expect(fresh.logRounds == PasswordHash.defaultLogRounds)
        #expect(fresh.salt != (try PasswordHash.make(password: Array("x".utf8))).salt, "a fresh salt each time")
        for bad in [
            "", "$scrypt$ln=10,r=8$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$pbkdf2$ln=10,r=8,p=1$AAAA$AAAA",
            "$scrypt$ln=40,r=8,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=22,r=32,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$scrypt$ln=10,r=8,p=1$!!$AAAA",
        ] {
            #expect(PasswordHash(phc: Substring(bad)) == nil, "\(bad)")
        }
        #expect(PasswordHash.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!PasswordHash.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!PasswordHash.constantTimeEqual([1, 2], [1, 2, 3]))
    }

    @Test("Base64 without padding both ways, for every length")
    func base64() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base64.decode(Substring(Base64.encode(bytes))) == bytes)
        }
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8")
        #expect(Base64.decode("a") == nil)
    }

    @Test(
        "The users file: comments and blank lines skipped, every bad line named, the text written back reads the same")
    func usersFile() throws {
        let hash = try PasswordHash(password: Array("pw".utf8), salt: Array(repeating: 1, count: 16), logRounds: 10)
        let directory = try UserDirectory(parsing: "# users\n\nalice:\(hash)\r\nbob:\(hash)\n")
        #expect(directory.accounts.count == 2)
        #expect(try UserDirectory(parsing: directory.text) == directory)
        let cases: [(String, Int, String)] = [
            ("alice", 1, "expected"),
            ("\nwaytoolongname:\(hash)", 2, "not a valid id"),
            ("ALL:\(hash)", 1, "reserved"),
            ("alice:plain", 1, "PHC"),
            ("alice:\(hash)\nalice:\(hash)", 2, "twice"),
        ]
        for (text, line, words) in cases {
            #expect {
                _ = try UserDirectory(parsing: text)
            } throws: { error in
                guard case .badLine(let number, let why) = error as? UserFileError else { return false }
                return number == line && why.contains(words)
            }
        }
        var edited = directory
        #expect(edited.remove(try ChatName(validating: "bob")))
        #expect(!edited.remove(try ChatName(validating: "bob")))
        #expect(edited.accounts.count == 1)
    }

    @Test(
        "The login throttle: five tries in 60 s block the address for the rest of the window; tries in flight count; a right password is taken back"
    )
    func throttle() {
        var throttle = LoginThrottle()
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var started: [Bool] = []
        for second in 0..<4 { started.append(throttle.start("10.0.0.1", at: start + .seconds(Int64(second)))) }
        #expect(started == [true, true, true, true], "four tries, none answered yet")
        throttle.succeeded("10.0.0.1", startedAt: start + .seconds(3))
        let fifth = throttle.start("10.0.0.1", at: start + .seconds(10))
        let sixth = throttle.start("10.0.0.1", at: start + .seconds(10))
        let seventh = throttle.start("10.0.0.1", at: start + .seconds(11))
        let blocked = throttle.isBlocked("10.0.0.1", at: start + .seconds(59))
        let other = throttle.start("10.0.0.2", at: start + .seconds(59))
        let later = throttle.start("10.0.0.1", at: start + .seconds(60))
        #expect(fifth && sixth, "the right password was taken back: room for two more")
        #expect(!seventh, "five in flight or failed: blocked")
        #expect(blocked)
        #expect(other, "another address is not affected")
        #expect(later, "the first try is a minute old")
    }

    @Test("Connect with a password: the rest of the body after the id, spaces and all; without one as before")
    func connectWithPassword() throws {
        let alice = try ChatName(validating: "alice")
        #expect(
            try ClientControl.parse(ByteBuffer(string: "Connect alice my pass word"), from: alice)
                == .connect(alice, password: Array("my pass word".utf8)))
        #expect(try ClientControl.parse(ByteBuffer(string: "Connect alice"), from: alice) == .connect(alice))
        #expect(
            try ClientControl.parse(ByteBuffer(string: "Connect alice "), from: alice) == .connect(alice, password: []))
        #expect(ClientControl.connect(alice, password: Array("a b".utf8)).body == "Connect alice a b")
        #expect(throws: ControlError.self) {
            try ClientControl.parse(ByteBuffer(string: "Connect toolongname pw"), from: alice)
        }
    }
}
