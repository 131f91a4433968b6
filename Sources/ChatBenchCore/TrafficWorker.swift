import ChatWire
import Histogram
import NIOCore

/// Drives and measures the clients of one event loop (confined to it).
final class TrafficWorker: BenchClientDelegate {
    /// Counters and the latency histogram, handed out at the end.
    struct Stats: Sendable {
        var histogram: Histogram<UInt64>
        var measured: UInt64
        var sent: UInt64
        var expected: UInt64
        var delivered: UInt64
        var misordered: UInt64
        var corrupted: UInt64
        var offline: UInt64
        var errors: UInt64
    }

    private let options: TrafficBenchmark.Options
    private let loop: any EventLoop
    private var clients: [Int: BenchClientHandler] = [:]
    /// Fanout: every client's index by id, to tell senders apart.
    private var indexByName: [ChatName: Int] = [:]
    private var dirty: [BenchClientHandler] = []
    private(set) var readyCount = 0
    private var running = false
    private var startedAt = NIODeadline.now()
    private var measureFrom = NIODeadline.distantFuture
    private var measureUntil = NIODeadline.distantFuture
    private var pacer: RepeatedTask?
    /// Paced runs: this loop's clients in a fixed order, and whose turn it is.
    private var paced: [BenchClientHandler] = []
    private var paceCursor = 0
    /// The clock, read once per read burst rather than once per message (a tenth of the load's
    /// time went to reading it): messages of one burst were received, and their replies are
    /// flushed, together. Cleared at the end of each burst.
    private var burstClock: NIODeadline?
    private var histogram = Histogram<UInt64>(
        highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    private var measured: UInt64 = 0
    /// Messages delivered inside the measured window so far.
    var measuredSoFar: UInt64 { self.measured }
    private var sentTotal: UInt64 = 0
    private(set) var expected: UInt64 = 0
    private(set) var delivered: UInt64 = 0
    private var misordered: UInt64 = 0
    private var corrupted: UInt64 = 0
    private var offline: UInt64 = 0
    private var errors: UInt64 = 0
    /// Clients refused for now, to connect again (`BenchRetries`).
    var retries = BenchRetries()

    init(options: TrafficBenchmark.Options, loop: any EventLoop) {
        self.options = options
        self.loop = loop
        if case .fanout = options.pattern {
            // Every sender, on every loop: other loops may start sending before this one starts.
            for index in 0..<options.clientCount {
                if let name = try? ChatName(validating: "\(options.prefix)\(index)") { self.indexByName[name] = index }
            }
        }
    }

    func add(_ client: BenchClientHandler) {
        self.clients[client.index] = client
        if self.isPairs, let partner = self.clients[client.index ^ 1] {
            client.partner = partner
            partner.partner = client
        }
    }

    /// Starts sending: a full window each (pairs, no rate), or paced (`--rate`).
    func start(measureFrom: NIODeadline, measureUntil: NIODeadline) {
        self.running = true
        self.startedAt = .now()
        self.measureFrom = measureFrom
        self.measureUntil = measureUntil
        if let rate = self.options.rate {
            // This loop's share of the total rate, sent round-robin over its clients in small
            // steps: all clients sending at the same tick would measure the server's queue
            // for a synchronised burst, not its latency.
            let share = rate * Double(self.clients.count) / Double(self.options.clientCount)
            self.paced = self.clients.values.sorted { $0.index < $1.index }
            let bound = NIOLoopBound(self, eventLoop: self.loop)
            self.pacer = self.loop.scheduleRepeatedTask(initialDelay: Self.paceStep, delay: Self.paceStep) { _ in
                bound.value.pace(rate: share)
            }
        } else {
            for client in self.clients.values { self.refill(client) }
            self.flushDirty()
        }
    }

    /// Stops sending (the drain follows).
    func stop() {
        self.running = false
        self.pacer?.cancel()
    }

    func stats() -> Stats {
        Stats(
            histogram: self.histogram, measured: self.measured, sent: self.sentTotal, expected: self.expected,
            delivered: self.delivered, misordered: self.misordered, corrupted: self.corrupted, offline: self.offline,
            errors: self.errors)
    }

    func closeAll() {
        self.paced = []
        for client in self.clients.values {
            client.partner = nil
            client.context?.close(promise: nil)
        }
    }

    // MARK: Sending

    private var isPairs: Bool {
        if case .pairs = self.options.pattern { return true }
        return false
    }

    /// How often a paced run sends what has come due.
    private static let paceStep = TimeAmount.microseconds(100)

    /// Sends what has come due at `rate` msgs/s, one client after the other; a client with a
    /// full window is passed over (its turn comes again).
    private func pace(rate: Double) {
        guard self.running, !self.paced.isEmpty else { return }
        var count = RatePacer(rate: rate).due(after: NIODeadline.now() - self.startedAt, sent: self.sentTotal)
        var passedOver = 0
        while count > 0, passedOver < self.paced.count {
            let client = self.paced[self.paceCursor]
            self.paceCursor = (self.paceCursor + 1) % self.paced.count
            if client.isReady, !self.isPairs || client.inflight < self.options.window {
                self.send(from: client)
                count -= 1
                passedOver = 0
            } else {
                passedOver += 1
            }
        }
        self.flushDirty()
    }

    private func refill(_ client: BenchClientHandler) {
        guard self.running, client.isReady else { return }
        while client.inflight < self.options.window { self.send(from: client) }
    }

    private func send(from client: BenchClientHandler) {
        guard client.context != nil else { return }  // closed: nothing is sent, nothing expected
        let target: ChatName
        if self.isPairs {
            guard let partner = client.partner else { return }
            target = partner.id
            self.expected += 1
        } else {
            target = .all
            self.expected += UInt64(self.options.clientCount - 1)
        }
        let size = self.options.size
        let sequence = client.sent
        client.write(frameLength: Wire.headerLength + size + 1) { bytes in
            FrameHeader.write(to: target, from: client.id, into: &bytes)
            BenchBody.write(sequence: sequence, sentAt: self.now().uptimeNanoseconds, size: size, to: &bytes)
            bytes.writeInteger(Wire.terminator)
        }
        client.sent += 1
        client.inflight += 1
        self.sentTotal += 1
        if !client.needsFlush {
            client.needsFlush = true
            self.dirty.append(client)
        }
    }

    /// The time for the current burst.
    private func now() -> NIODeadline {
        if let now = self.burstClock { return now }
        let now = NIODeadline.now()
        self.burstClock = now
        return now
    }

    private func flushDirty() {
        self.burstClock = nil
        for client in self.dirty {
            client.needsFlush = false
            client.flush()
        }
        self.dirty.removeAll(keepingCapacity: true)
    }

    // MARK: BenchClientDelegate

    func clientReady(_ client: BenchClientHandler) {
        self.readyCount += 1
    }

    func client(_ client: BenchClientHandler, received body: ByteBuffer, from source: ChatName) {
        let now = self.now()
        guard let message = BenchBody.read(body) else {
            self.corrupted += 1
            return
        }
        self.delivered += 1
        let sender: BenchClientHandler?
        let expected: UInt64
        if let partner = client.partner {
            guard source == partner.id else {
                self.corrupted += 1  // pairs: only the partner writes to a client
                return
            }
            sender = partner
            expected = client.expectedFromPartner
            client.expectedFromPartner = Self.next(after: message.sequence, expected: expected)
        } else {
            let index = self.indexByName[source] ?? -1
            sender = nil
            expected = client.expected[index, default: 0]
            client.expected[index] = Self.next(after: message.sequence, expected: expected)
        }
        if message.sequence < expected { self.misordered += 1 }
        if message.sentAt >= self.measureFrom.uptimeNanoseconds, now <= self.measureUntil {
            self.measured += 1
            self.histogram.record(now.uptimeNanoseconds &- message.sentAt)
        }
        if let sender {
            sender.inflight -= 1
            if self.options.rate == nil { self.refill(sender) }
        }
    }

    /// The next sequence number expected from a sender after `sequence` arrived: a gap is
    /// skipped (counted as lost at the end), an old number (repeated or reordered) changes nothing.
    private static func next(after sequence: UInt64, expected: UInt64) -> UInt64 {
        sequence >= expected ? sequence + 1 : expected
    }

    func clientOffline(_ client: BenchClientHandler) {
        self.offline += 1
    }

    func clientReadComplete(_ client: BenchClientHandler) {
        self.flushDirty()
    }

    func client(_ client: BenchClientHandler, receivedList names: Int, bytes: Int) {}

    func clientFailed(_ client: BenchClientHandler, reason: String) {
        if self.running { self.errors += 1 }
    }

    func clientRefusedForNow(_ client: BenchClientHandler) {
        if self.clients[client.index] === client { self.clients[client.index] = nil }
        self.retries.refused(client.index)
    }
}
