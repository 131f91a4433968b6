import ChatWire
import NIOCore

/// What `InboundScanner` asks of the connection it reads for: the rules' verdict on a frame,
/// where forwarded bytes go, and what to do with every other frame. `ConnectionHandler` is the
/// one implementation; the scanner is generic over it, so the calls are direct.
protocol InboundScannerDelegate: AnyObject {
    /// The connection's id while it is online (runs of chat frames are scanned for it).
    var onlineName: ChatName? { get }
    /// Presence, to find targets.
    var presence: any Presence { get }
    /// The state machine's verdict on a frame (`body` is asked for only for control frames).
    func verdict(on header: FrameHeader, body: () -> ByteBuffer) -> ConnectionStateMachine.Action
    /// Queues complete frames for another client.
    func forward(_ frames: ByteBuffer, to target: any Recipient)
    /// Carries out any other verdict on one frame (`wire`: its bytes).
    func carryOut(
        _ action: ConnectionStateMachine.Action, frame: FrameHeader, wire: ByteBuffer, context: ChannelHandlerContext)
    /// Logs one frame (only while frames are logged).
    func log(_ header: FrameHeader)
}
