import ChatWire
import NIOCore

/// Flood control: reading paused while the client is over its rate.
extension ConnectionHandler {
    /// The client sent more than its rate: read nothing more from it until `due` (TCP pushes
    /// back on it meanwhile; what it sent stays in the socket, nothing is dropped).
    func pauseReading(until due: NIODeadline, gate: FloodGate, context: ChannelHandlerContext) {
        guard !gate.isPaused else { return }
        gate.isPaused = true
        self.updateReading(context: context)
        if !gate.readsNarrowed {
            gate.readsNarrowed = true
            context.channel.setOption(
                ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: gate.readChunk)
            ).whenFailure { _ in }
            context.channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1).whenFailure { _ in }
        }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.shared.clock.schedule(at: due, on: context.eventLoop) { handler.value.resumeReading() }
    }

    /// The client's buckets are out of debt: read again (unless presence is still deciding).
    func resumeReading() {
        guard let gate = self.gate, gate.isPaused else { return }
        gate.isPaused = false
        if let context = self.context { self.updateReading(context: context) }
    }

    /// Reads from the client unless something waits: presence deciding on its Connect (`held`)
    /// or its rate (`gate`). The one place that switches reading.
    func updateReading(context: ChannelHandlerContext) {
        let reading = self.held == nil && self.gate?.isPaused != true
        context.channel.setOption(ChannelOptions.autoRead, value: reading).whenFailure { _ in }
    }
}
