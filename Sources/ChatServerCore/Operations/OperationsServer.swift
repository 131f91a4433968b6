import NIOCore
import NIOHTTP1
import NIOPosix

/// The operations endpoint (`--metrics-address HOST:PORT`): HTTP/1.1 on SwiftNIO, on the
/// server's event loops, apart from the chat's listeners. Requests are small and rare (a scrape
/// every few seconds), so it is one handler behind NIO's HTTP server pipeline.
enum OperationsServer {
    /// Binds `address` and answers from `status` until the returned channel is closed.
    static func bind(
        _ address: HostPort, status: OperationsStatus, group: any EventLoopGroup
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // A connection that sends nothing for 30 s is closed: an idle or stalled
                    // client (or a slowloris) does not hold a descriptor for ever.
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(30)))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(OperationsHandler(status: status))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }
}
