import ChatWire
import Logging
import NIOCore

extension ConnectionHandler: NIOScheduledCallbackHandler {
    /// Arms the life timer: a scheduled callback on this handler (no closure, no promise per connection).
    func scheduleLifeCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        self.lifeCheck = self.shared.clock.scheduleCallback(at: deadline, on: context.eventLoop, handler: self)
    }

    /// The life timer fired: one timer per connection, re-armed only when it fires.
    func handleScheduledCallback(eventLoop: some EventLoop) {
        guard let context = self.context else { return }
        self.perform(
            self.machine.lifeTimerFired(
                at: self.shared.clock.now, timeout: self.shared.aliveTimeout,
                connectTimeout: self.shared.connectTimeout),
            context: context)
    }
}

extension ConnectionHandler: InboundScannerDelegate {
    var onlineName: ChatName? { self.recipient?.name }

    var presence: any Presence { self.shared.presence }

    func verdict(on header: FrameHeader, body: () -> ByteBuffer) -> ConnectionStateMachine.Action {
        self.machine.received(header, body: body)
    }

    func forward(_ frames: ByteBuffer, to target: any Recipient) {
        self.output.forward(frames, to: target)
    }

    func log(_ header: FrameHeader) {
        self.logger.debug(
            "frame",
            metadata: ["to": "\(header.destination)", "from": "\(header.source)", "bytes": "\(header.bodyLength)"])
    }
}
