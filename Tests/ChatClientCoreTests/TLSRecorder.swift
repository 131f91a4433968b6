import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A TLS server with the test certificate (localhost, 127.0.0.1) that answers nothing and
/// records the frames its one client sends: what a client gives away to a server it connects to.
final class TLSRecorder: Sendable {
    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = Frame
        let frames = NIOLockedValueBox<[String]>([])
        let closed = NIOLockedValueBox(false)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = self.unwrapInboundIn(data)
            self.frames.withLockedValue { $0.append(frame.text) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.closed.withLockedValue { $0 = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    private let recorder = Recorder()
    private let listener: any Channel
    /// The port it listens on.
    let port: Int

    private init(listener: any Channel) {
        self.listener = listener
        self.port = listener.localAddress?.port ?? 0
    }

    /// Listens on an ephemeral port.
    static func start() async throws -> TLSRecorder {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(TLSFixtures.path("server.pem")).map {
                .certificate($0)
            },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: TLSFixtures.path("server.key"), format: .pem)))
        let context = try NIOSSLContext(configuration: configuration)
        let box = NIOLockedValueBox<TLSRecorder?>(nil)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let recorder = box.withLockedValue({ $0 })?.recorder else { return }
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(recorder)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = TLSRecorder(listener: listener)
        box.withLockedValue { $0 = server }
        return server
    }

    /// The frames received, as text.
    var received: [String] { self.recorder.frames.withLockedValue { $0 } }

    /// Waits (within the hang guard) until the client's connection has closed.
    func awaitClosed() async throws {
        try await waitUntil("the client's connection closed") { self.recorder.closed.withLockedValue { $0 } }
    }

    /// Stops listening.
    func stop() async {
        try? await self.listener.close()
    }
}
