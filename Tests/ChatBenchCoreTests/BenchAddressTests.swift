import ChatTestSupport
import ChatWireTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import ChatBenchCore

/// Where the load's clients connect from: one source address, or several on loopback.
@Suite("Bench: source addresses")
struct BenchAddressTests {
    @Test("N source addresses are 127.0.0.1 to 127.0.0.N; a server off loopback or N out of range is refused")
    func sources() throws {
        let three = try BenchAddress(host: "127.0.0.1", port: 7255, sourceAddresses: 3)
        #expect(three.sources.map { $0.ipAddress ?? "" } == ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
        #expect(try BenchAddress(host: "127.0.0.1", port: 7255).sources.isEmpty)
        #expect(throws: BenchError.self) { try BenchAddress(host: "::1", port: 7255, sourceAddresses: 2) }
        #expect(throws: BenchError.self) { try BenchAddress(host: "127.0.0.1", port: 7255, sourceAddresses: 0) }
        #expect(throws: BenchError.self) { try BenchAddress(host: "127.0.0.1", port: 7255, sourceAddresses: 255) }
    }

    @Test("clients connect from their source address in turn (the connection's local address)")
    func connectsFromEach() async throws {
        try await withServer { server in
            let address = try BenchAddress(host: "127.0.0.1", port: server.port, sourceAddresses: 2)
            let seen = NIOLockedValueBox<[Int: String]>([:])
            for index in 0..<3 {
                let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(TimeAmount(Patience.guardTime))  // a machine slowed by TSan
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                LocalAddressRecorder(index: index, seen: seen))
                        }
                    }
                try await address.connect(bootstrap, index: index)
            }
            try await waitUntil("three connections active") { seen.withLockedValue { $0.count } == 3 }
            #expect(seen.withLockedValue { $0 } == [0: "127.0.0.1", 1: "127.0.0.2", 2: "127.0.0.1"])
        }
    }
}

/// Notes the local address of a connection once it is active, then closes it.
private final class LocalAddressRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let index: Int
    let seen: NIOLockedValueBox<[Int: String]>

    init(index: Int, seen: NIOLockedValueBox<[Int: String]>) {
        self.index = index
        self.seen = seen
    }

    func channelActive(context: ChannelHandlerContext) {
        let address = context.localAddress?.ipAddress ?? "?"
        self.seen.withLockedValue { $0[self.index] = address }
        context.close(promise: nil)
    }
}
