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
    private let prefixLength: Int
    private var clients: [Int: BenchClientHandler] = [:]
    private var dirty: [BenchClientHandler] = []
    private(set) var readyCount = 0
    private var running = false
    private var startedAt = NIODeadline.now()
    private var measureFrom = NIODeadline.distantFuture
    private var measureUntil = NIODeadline.distantFuture
    private var pacer: RepeatedTask?
    private var histogram = Histogram<UInt64>(
        highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    private var measured: UInt64 = 0
    private var sentTotal: UInt64 = 0
    private(set) var expected: UInt64 = 0
    private(set) var delivered: UInt64 = 0
    private var misordered: UInt64 = 0
    private var corrupted: UInt64 = 0
    private var offline: UInt64 = 0
    private var errors: UInt64 = 0

    init(options: TrafficBenchmark.Options, loop: any EventLoop) {
        self.options = options
        self.loop = loop
        self.prefixLength = options.prefix.utf8.count
    }

    func add(_ client: BenchClientHandler) {
        self.clients[client.index] = client
    }

    /// Starts sending: a full window each (pairs, no rate) or paced every millisecond.
    func start(measureFrom: NIODeadline, measureUntil: NIODeadline) {
        self.running = true
        self.startedAt = .now()
        self.measureFrom = measureFrom
        self.measureUntil = measureUntil
        if let rate = self.options.rate {
            let perClient = rate / Double(self.options.clientCount)
            let bound = NIOLoopBound(self, eventLoop: self.loop)
            self.pacer = self.loop.scheduleRepeatedTask(initialDelay: .milliseconds(1), delay: .milliseconds(1)) { _ in
                bound.value.pace(perClient: perClient)
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
        for client in self.clients.values { client.context?.close(promise: nil) }
    }

    // MARK: Sending

    private var isPairs: Bool {
        if case .pairs = self.options.pattern { return true }
        return false
    }

    private func pace(perClient: Double) {
        guard self.running else { return }
        let elapsed = Double((NIODeadline.now() - self.startedAt).nanoseconds) / 1e9
        let due = UInt64(perClient * elapsed)
        for client in self.clients.values where client.isReady {
            var count = due > client.sent ? Int(due - client.sent) : 0
            if self.isPairs { count = min(count, self.options.window - client.inflight) }
            for _ in 0..<max(0, count) { self.send(from: client) }
        }
        self.flushDirty()
    }

    private func refill(_ client: BenchClientHandler) {
        guard self.running, client.isReady else { return }
        while client.inflight < self.options.window { self.send(from: client) }
    }

    private func send(from client: BenchClientHandler) {
        let target: ChatName
        if self.isPairs {
            guard let partner = self.clients[client.index ^ 1] else { return }
            target = partner.id
            self.expected += 1
        } else {
            target = .all
            self.expected += UInt64(self.options.clientCount - 1)
        }
        guard let context = client.context else { return }
        var bytes = context.channel.allocator.buffer(capacity: Wire.headerLength + self.options.size + 1)
        target.write(to: &bytes)
        client.id.write(to: &bytes)
        BenchBody.write(
            sequence: client.sent, sentAt: NIODeadline.now().uptimeNanoseconds, size: self.options.size, to: &bytes)
        bytes.writeInteger(Wire.terminator)
        client.write(bytes)
        client.sent += 1
        client.inflight += 1
        self.sentTotal += 1
        if !client.needsFlush {
            client.needsFlush = true
            self.dirty.append(client)
        }
    }

    private func flushDirty() {
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

    func client(_ client: BenchClientHandler, received frame: Frame) {
        if frame.source == .server {
            self.offline += 1
            return
        }
        let now = NIODeadline.now()
        guard let body = BenchBody.read(frame.body) else {
            self.corrupted += 1
            return
        }
        self.delivered += 1
        let senderText = frame.source.text.utf8.dropFirst(self.prefixLength)
        let sender = Int(String(decoding: senderText, as: UTF8.self)) ?? -1
        let expected = client.expected[sender, default: 0]
        if body.sequence == expected {
            client.expected[sender] = expected + 1
        } else if body.sequence > expected {
            client.expected[sender] = body.sequence + 1  // a gap: counted as lost at the end
        } else {
            self.misordered += 1
        }
        if body.sentAt >= self.measureFrom.uptimeNanoseconds, now <= self.measureUntil {
            self.measured += 1
            self.histogram.record(now.uptimeNanoseconds &- body.sentAt)
        }
        if self.isPairs, let partner = self.clients[sender] {
            partner.inflight -= 1
            if self.options.rate == nil { self.refill(partner) }
        }
    }

    func clientReadComplete(_ client: BenchClientHandler) {
        self.flushDirty()
    }

    func client(_ client: BenchClientHandler, receivedList names: Int, bytes: Int) {}

    func clientFailed(_ client: BenchClientHandler, reason: String) {
        if self.running { self.errors += 1 }
    }
}
