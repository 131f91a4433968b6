import NIOCore
import Testing

@testable import ChatServerCore

@Suite("Server: liveness")
struct LivenessTests {
    @Test("alive until the timeout has passed since the last sign of life; each check names the next")
    func verdicts() {
        let opened = NIODeadline.uptimeNanoseconds(1_000)
        var liveness = Liveness(timeout: .seconds(3), openedAt: opened)
        #expect(liveness.firstCheck == opened + .seconds(3))
        #expect(liveness.check(at: opened + .seconds(2)) == .alive(checkAgainAt: opened + .seconds(3)))
        liveness.heard(at: opened + .seconds(2))
        #expect(liveness.check(at: opened + .seconds(3)) == .alive(checkAgainAt: opened + .seconds(5)))
        #expect(liveness.check(at: opened + .milliseconds(4_999)) == .alive(checkAgainAt: opened + .seconds(5)))
        #expect(liveness.check(at: opened + .seconds(5)) == .expired)
    }
}
