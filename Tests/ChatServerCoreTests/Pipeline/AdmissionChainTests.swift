import ChatWire
import ChatWireTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import ChatServerCore

/// The admission checks in order, then presence: values, no channel needed but a recipient's.
@Suite("Server: admission chain")
struct AdmissionChainTests {
    /// A check that answers as told and records that it was asked.
    struct ScriptedCheck: AdmissionCheck {
        let name: String
        let answer: @Sendable (any EventLoop) -> AdmissionCheckAnswer
        let asked: NIOLockedValueBox<[String]>

        func check(_ request: AdmissionRequest, on loop: any EventLoop) -> AdmissionCheckAnswer {
            self.asked.withLockedValue { $0.append(self.name) }
            return self.answer(loop)
        }
    }

    private let loop = EmbeddedEventLoop()
    private let asked = NIOLockedValueBox<[String]>([])

    private func check(_ name: String, _ answer: @escaping @Sendable (any EventLoop) -> AdmissionCheckAnswer)
        -> ScriptedCheck
    {
        ScriptedCheck(name: name, answer: answer, asked: self.asked)
    }

    private func request(_ id: String) throws -> (AdmissionRequest, LocalRecipient) {
        let name = try ChatName(validating: id)
        let request = AdmissionRequest(id: name, password: nil, peer: nil, identity: nil)
        return (request, LocalRecipient(name: name, channel: EmbeddedChannel(loop: self.loop)))
    }

    private func settle(_ answer: AdmissionAnswer) throws -> Admission {
        switch answer {
        case .now(let admission): return admission
        case .later(let future):
            self.loop.run()
            return try future.wait()
        }
    }

    @Test("No check: presence's answer, at once")
    func presenceAlone() throws {
        let registry = Registry(capacity: 10)
        let chain = AdmissionChain(checks: [], presence: registry)
        let (request, recipient) = try self.request("alice")
        guard case .now(.admitted) = chain.admit(request, recipient: recipient, on: self.loop) else {
            throw TestFailure("not admitted at once")
        }
        #expect(registry.count == 1)
    }

    @Test("The checks run in order; the first refusal ends it, before presence is asked")
    func firstRefusalEnds() throws {
        let registry = Registry(capacity: 10)
        let chain = AdmissionChain(
            checks: [
                self.check("certificate") { _ in .now(nil) },
                self.check("password") { _ in .now(.authenticationFailed) },
                self.check("never") { _ in .now(nil) },
            ], presence: registry)
        let (request, recipient) = try self.request("alice")
        #expect(
            try self.settle(chain.admit(request, recipient: recipient, on: self.loop))
                == .refused(.authenticationFailed))
        #expect(self.asked.withLockedValue { $0 } == ["certificate", "password"])
        #expect(registry.count == 0)
    }

    @Test("A check that answers later: presence is asked once it passes, and not if it refuses")
    func laterCheck() throws {
        let registry = Registry(capacity: 10)
        let pass = AdmissionChain(
            checks: [self.check("password") { .later($0.makeSucceededFuture(nil)) }], presence: registry)
        let (request, recipient) = try self.request("alice")
        #expect(try self.settle(pass.admit(request, recipient: recipient, on: self.loop)) == .admitted)
        #expect(registry.count == 1)

        let refuse = AdmissionChain(
            checks: [self.check("password") { .later($0.makeSucceededFuture(.tooManyFailedLogins)) }],
            presence: registry)
        let (other, bob) = try self.request("bob")
        #expect(try self.settle(refuse.admit(other, recipient: bob, on: self.loop)) == .refused(.tooManyFailedLogins))
        #expect(registry.count == 1)
    }

    @Test("The certificate check: no identity, another name, one of its names")
    func certificateCheck() throws {
        let check = CertificateCheck()
        let alice = try ChatName(validating: "alice")
        func verdict(_ identity: ClientIdentity?) -> CloseReason.Refusal?? {
            guard
                case .now(let refusal) = check.check(
                    AdmissionRequest(id: alice, password: nil, peer: nil, identity: identity), on: self.loop)
            else { return nil }
            return .some(refusal)
        }
        #expect(verdict(nil) == .some(.certificateRequired))
        #expect(verdict(ClientIdentity(names: ["bob"])) == .some(.notYourCertificate(alice)))
        #expect(verdict(ClientIdentity(names: ["bob", "alice"])) == .some(nil))
    }
}
