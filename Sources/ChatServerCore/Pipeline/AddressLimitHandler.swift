import NIOCore

/// Per-address admission (`--max-clients-per-ip`, `--max-connects-per-ip-per-sec`), first in
/// the pipeline: when the connection opens it is counted against its source address
/// (`AddressLimiter`), and one over a limit is turned away (a `CloseRequest` that reaches the
/// protocol handler before the connection's activity does, so it is never tracked as waiting
/// for `Connect`).
///
/// Only a cap on open connections needs the count given back when the connection closes: with
/// the rate alone (the default), or once it has turned the connection away, the handler leaves
/// the pipeline as the connection opens, and an idle client pays nothing for it.
final class AddressLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let limiter: AddressLimiter
    private let clock: any ServerClock
    /// The address counted, until the connection closes.
    private var counted: String?

    /// A handler counting against `limiter` at `clock`'s time.
    init(limiter: AddressLimiter, clock: any ServerClock) {
        self.limiter = limiter
        self.clock = clock
    }

    func channelActive(context: ChannelHandlerContext) {
        var refusal: CloseReason.TurnAway?
        if let address = context.channel.remoteAddress?.ipAddress {
            switch self.limiter.opened(address, at: self.clock.now) {
            case .admitted(let counted): self.counted = counted ? address : nil
            case .tooManyOpen(let limit): refusal = .tooManyFromAddress(limit)
            case .tooManyNew(let limit): refusal = .tooManyNewFromAddress(limit)
            }
        }
        if let refusal {
            context.fireUserInboundEventTriggered(CloseRequest(reason: .turnedAway(refusal)))
        }
        context.fireChannelActive()
        if self.counted == nil {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let address = self.counted {
            self.counted = nil
            self.limiter.closed(address, at: self.clock.now)
        }
        context.fireChannelInactive()
    }
}
