import NIOCore
import Testing

@testable import ChatServerCore

@Suite("Server: liveness")
struct LivenessTests {
    @Test("alive until the timeout has passed since the last sign of life; each check names the next")
    func verdicts() {
        let opened = NIODeadline.uptimeNanoseconds(1_000)
        var liveness = Liveness(openedAt: opened)
        #expect(
            liveness.check(at: opened + .seconds(2), timeout: .seconds(3)) == .alive(checkAgainAt: opened + .seconds(3))
        )
        liveness.heard(at: opened + .seconds(2))
        #expect(
            liveness.check(at: opened + .seconds(3), timeout: .seconds(3)) == .alive(checkAgainAt: opened + .seconds(5))
        )
        #expect(
            liveness.check(at: opened + .milliseconds(4_999), timeout: .seconds(3))
                == .alive(checkAgainAt: opened + .seconds(5)))
        #expect(liveness.check(at: opened + .seconds(5), timeout: .seconds(3)) == .expired)
    }
}
