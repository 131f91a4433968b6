import NIOConcurrencyHelpers
import NIOCore

/// The channel handler of a `RESPConnection`: writes commands, reads answers, and pairs each
/// answer with its command in order (RESP answers in the order asked, so commands pipeline).
/// Published messages (`message`, `pmessage`) are never answers: they go to `onMessage`.
final class RESPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RESPCommand
    typealias OutboundOut = ByteBuffer

    /// Commands written and not answered yet, oldest first.
    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    /// Bytes of a value not complete yet.
    private var unread: ByteBuffer?
    private let onMessage: (@Sendable (RESPMessage) -> Void)?
    /// The error that closed the connection, for commands written after it closed (which the
    /// channel fails with a bare "I/O on closed channel").
    private let closedBy: NIOLockedValueBox<(any Error)?>

    init(onMessage: (@Sendable (RESPMessage) -> Void)?, closedBy: NIOLockedValueBox<(any Error)?>) {
        self.onMessage = onMessage
        self.closedBy = closedBy
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = self.unwrapOutboundIn(data)
        self.waiting.append(command.answer)
        context.write(self.wrapOutboundOut(command.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        if var unread = self.unread {
            unread.writeBuffer(&input)
            input = unread
            self.unread = nil
        }
        do {
            while let value = try RESPParser.next(from: &input) { self.received(value) }
        } catch {
            self.fail(with: error, context: context)
            return
        }
        if input.readableBytes > 0 { self.unread = input }
    }

    /// One whole value: a published message, or the answer to the oldest command.
    private func received(_ value: RESPValue) {
        if let message = RESPMessage(value) {
            self.onMessage?(message)
            return
        }
        guard let answer = self.waiting.popFirst() else { return }  // nothing asked: dropped
        if case .error(let text) = value {
            answer.fail(RESPError.server(text))
        } else {
            answer.succeed(value)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        while let answer = self.waiting.popFirst() { answer.fail(RESPError.connectionClosed) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(with: error, context: context)
    }

    /// Bad bytes or a broken socket: every command waiting fails with the error, and the
    /// connection closes.
    private func fail(with error: any Error, context: ChannelHandlerContext) {
        self.closedBy.withLockedValue { $0 = $0 ?? error }
        while let answer = self.waiting.popFirst() { answer.fail(error) }
        context.close(promise: nil)
    }
}

/// A command on its way to the server: its bytes and the promise its answer completes.
struct RESPCommand {
    let bytes: ByteBuffer
    let answer: EventLoopPromise<RESPValue>
}
