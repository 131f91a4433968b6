import ChatTestSupport
import ChatWire
import ChatWireTestSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded

@testable import ChatServerCore

/// A server's connection handlers on `EmbeddedChannel`s sharing one `EmbeddedEventLoop`: no
/// sockets, no threads, and time (a `ManualServerClock`) moves only when the test says.
final class EmbeddedServer {
    let loop = EmbeddedEventLoop()
    let shared: ServerShared
    let observer = RecordingObserver()
    let clock = ManualServerClock()

    /// A server with `presence` (an in-process registry unless given) and `configuration`.
    init(configuration: ServerConfiguration = EmbeddedServer.defaultConfiguration, presence: (any Presence)? = nil) {
        var logger = Logger(label: "embedded-server") { _ in DiscardingLogHandler() }
        logger.logLevel = .info
        let presence = presence ?? Registry(capacity: configuration.maxClients)
        let publisher = ListPublisher(
            presence: presence, configuration: configuration,
            clock: self.clock, scheduler: self.loop, observer: self.observer, logger: logger)
        self.shared = ServerShared(
            presence: presence, publisher: publisher, observer: self.observer, connections: ConnectionTracker(),
            clock: self.clock, configuration: configuration, logger: logger)
    }

    /// A 1 s interval and a 3 s timeout.
    static var defaultConfiguration: ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.aliveInterval = .seconds(1)
        return configuration
    }

    /// A new connection, active, its handler in place.
    func connect() throws -> EmbeddedConnection {
        let channel = EmbeddedChannel(loop: self.loop)
        try ConnectionPipeline(shared: self.shared, transport: PlainTCP()).configure(channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40_000)).wait()
        return EmbeddedConnection(channel: channel)
    }

    /// A connection that sent `Connect <name>` and read its `Connected`.
    func online(_ name: String) throws -> EmbeddedConnection {
        let connection = try self.connect()
        try connection.send(wireFrame("-SERVER-", name, "Connect \(name)"))
        let connected = connection.received()
        guard connected.first?.body.hasPrefix("Connected ") == true else {
            throw TestFailure("\(name) was not admitted: \(connected)")
        }
        return connection
    }

    /// Moves the server's clock (running the timers that fall due, and what they hand the loop).
    func advance(by amount: TimeAmount) {
        self.clock.advanceInPlace(by: amount)
        self.loop.run()
    }
}

/// One client's side of an embedded connection.
struct EmbeddedConnection {
    let channel: EmbeddedChannel

    /// Delivers `bytes` as one read, then the end of the read burst.
    func send(_ bytes: [UInt8]) throws {
        try self.channel.writeInbound(ByteBuffer(bytes: bytes))
        self.channel.pipeline.fireChannelReadComplete()
    }

    /// Delivers `bytes` in reads of the given sizes (the rest in a last one), each its own burst.
    func send(_ bytes: [UInt8], cutAt cuts: [Int]) throws {
        var start = 0
        for cut in cuts + [bytes.count] where cut >= start {
            try self.send(Array(bytes[start..<cut]))
            start = cut
        }
    }

    /// Everything written to the client so far, as frames.
    func received() -> [(destination: String, source: String, body: String)] {
        var frames: [(String, String, String)] = []
        var cutter = FrameCutter()
        while var bytes = try? self.channel.readOutbound(as: ByteBuffer.self) {
            while let frame = try? cutter.next(from: &bytes) {
                let body = String(buffer: frame.header.body(in: frame.wire))
                frames.append((frame.header.destination.text, frame.header.source.text, body))
            }
        }
        return frames
    }

    /// The bodies received so far.
    func bodies() -> [String] { self.received().map(\.body) }

    var isOpen: Bool { self.channel.isActive }
}

/// Remembers what the server told its observer.
final class RecordingObserver: ServerObserver {
    private let events = NIOLockedValueBox<[String]>([])

    var recorded: [String] { self.events.withLockedValue { $0 } }

    private func record(_ event: String) { self.events.withLockedValue { $0.append(event) } }

    func joined(_ name: ChatName) { self.record("joined \(name)") }
    func left(_ name: ChatName, reason: CloseReason) { self.record("left \(name): \(reason)") }
    func closedBeforeJoining(reason: CloseReason) { self.record("closed: \(reason)") }
    func answeredOffline(_ count: Int) { self.record("offline \(count)") }
    func pushedList(recipients: Int, parts: Int) { self.record("list to \(recipients)") }
    func received(_ burst: ReadBurst) { self.record("burst \(burst.frames)/\(burst.bytes)") }
    func throttled() { self.record("throttled") }
}
