import Testing

@testable import ChatServerCore

/// `/readyz`'s answer as a value: not before the listeners are bound, not once stopping.
@Suite("Operations: readiness")
struct ReadinessTests {
    @Test("Not ready while starting, ready once serving, not ready once stopping")
    func phases() {
        let readiness = Readiness(presence: Registry(capacity: 10))
        #expect(readiness.problem == "starting")
        readiness.beginServing()
        #expect(readiness.problem == nil)
        readiness.beginStopping()
        #expect(readiness.problem == "shutting down")
    }
}
