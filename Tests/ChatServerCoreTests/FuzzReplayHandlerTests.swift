import ChatWire
import ChatWireTestSupport
import NIOCore
import Testing

@testable import ChatServerCore

/// The fuzzer's seeds and kept finds, replayed through the connection handler itself (not only
/// the decoder): as the first bytes of a connection, and after a Connect, cut across two reads
/// at a point each input chooses. Whatever the bytes, nothing traps, a partner only ever
/// receives whole frames from the sender, and a connection the handler closes (but for a Quit)
/// was told why.
@Suite("Fuzz finds, replayed through the connection handler")
struct FuzzReplayHandlerTests {
    @Test("seeds and regressions: as the first bytes, and after Connect, cut at a chosen point")
    func replay() throws {
        let inputs = try FuzzCorpus.inputs()
        #expect(inputs.count >= 10)
        for (name, bytes) in inputs {
            let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
            for prefix in [[], wireFrame("-SERVER-", "mallory", "Connect mallory")] {
                let server = EmbeddedServer()
                let bob = try server.online("bob")
                let mallory = try server.connect()
                try mallory.send(prefix + bytes, cutAt: [prefix.count + cut])
                var delivered = ByteBuffer()
                while var bytes = try bob.channel.readOutbound(as: ByteBuffer.self) { delivered.writeBuffer(&bytes) }
                while delivered.readableBytes > 0 {
                    guard let header = try? FrameDecoder.header(of: delivered) else {
                        Issue.record("\(name): bob received bytes that are not a whole frame")
                        break
                    }
                    delivered.moveReaderIndex(forwardBy: header.length)
                }
                // A Quit closes without an Error: only an input that holds one may be closed so.
                let quit = bytes.indices.contains { Array(bytes[$0...].prefix(4)) == Array("Quit".utf8) }
                if !mallory.isOpen, !(quit && server.observer.recorded.contains("left mallory: quit")) {
                    let last = mallory.received().last
                    #expect(last?.body.hasPrefix("Error ") == true, "\(name): closed without an Error or a Quit")
                }
            }
        }
    }
}
