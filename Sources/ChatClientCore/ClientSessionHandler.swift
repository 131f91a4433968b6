import ChatWire
import NIOCore

/// The client's side of one connection, on its event loop: waits for `Connected`, then sends
/// `Alive` every interval, turns server frames into `ChatEvent`s and reassembles lists.
final class ClientSessionHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = ByteBuffer

    private let id: ChatName
    private let events: AsyncStream<ChatEvent>.Continuation
    private var connected: EventLoopPromise<Duration>?
    private var heartbeat: RepeatedTask?
    private var reassembler = ListReassembler()
    private var lastList: [ChatName]?
    private var endReason: DisconnectReason?

    init(id: ChatName, connected: EventLoopPromise<Duration>, events: AsyncStream<ChatEvent>.Continuation) {
        self.id = id
        self.connected = connected
        self.events = events
    }

    /// Marks the coming close as ours.
    func closingByUs() {
        if self.endReason == nil { self.endReason = .closedByUs }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(
            self.wrapOutboundOut(ClientControl.connect(self.id).frame(from: self.id).wire), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        if let promise = self.connected {
            self.connected = nil
            self.answerToConnect(frame, promise: promise, context: context)
            return
        }
        guard frame.source == .server else {
            self.events.yield(.message(from: frame.source, text: frame.text, broadcast: frame.destination == .all))
            return
        }
        let control: ServerControl
        do {
            control = try ServerControl.parse(frame.body)
        } catch {
            self.events.yield(.unreadable("\(error) in '\(frame.text)'"))
            return
        }
        switch control {
        case .list(let part):
            do {
                if let names = try self.reassembler.add(part) {
                    self.events.yield(.list(ListUpdate(names: names, previous: self.lastList)))
                    self.lastList = names
                }
            } catch {
                self.events.yield(.unreadable("\(error)"))
            }
        case .offline(let name):
            self.events.yield(.offline(name))
        case .error(let text):
            self.events.yield(.serverError(text))
        case .connected:
            self.events.yield(.unreadable("a second 'Connected'"))
        }
    }

    private func answerToConnect(_ frame: Frame, promise: EventLoopPromise<Duration>, context: ChannelHandlerContext) {
        switch try? ServerControl.parse(frame.body) {
        case .connected(let interval)? where frame.source == .server:
            promise.succeed(interval)
            let channel = context.channel
            let alive = ClientControl.alive(self.id).frame(from: self.id).wire
            self.heartbeat = context.eventLoop.scheduleRepeatedTask(
                initialDelay: TimeAmount(interval), delay: TimeAmount(interval)
            ) {
                _ in
                channel.writeAndFlush(alive, promise: nil)
            }
        case .error(let text)?:
            self.endReason = .closedByUs
            promise.fail(ClientError.refused(text))
            context.close(promise: nil)
        default:
            self.endReason = .closedByUs
            promise.fail(ClientError.unexpectedAnswer(frame.text))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.endReason == nil {
            self.endReason = error is FrameError ? .malformed("\(error)") : .failed("\(error)")
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.heartbeat?.cancel()
        if let promise = self.connected {
            self.connected = nil
            promise.fail(ClientError.unexpectedAnswer("the connection closed"))
        }
        self.events.yield(.disconnected(self.endReason ?? .closedByServer))
        self.events.finish()
        context.fireChannelInactive()
    }
}
