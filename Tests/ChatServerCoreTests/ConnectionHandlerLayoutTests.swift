import NIOCore
import Testing

@testable import ChatServerCore

/// glibc's `malloc_usable_size`: what one allocation really takes, its chunk's rounding included.
@_silgen_name("malloc_usable_size")
private func mallocUsableSize(_ pointer: UnsafeMutableRawPointer) -> Int

/// Idle connections are most of the server's memory, and the protocol handler is the largest
/// object each one holds: its fields are ordered to fill the structs' tail padding. A field
/// added without care moves it to the next malloc chunk (16 bytes more for every connection);
/// this says so, so that the change is measured (`docs/PERFORMANCE.md`, idle memory) rather than
/// found later.
@Suite("Server: the protocol handler's size")
struct ConnectionHandlerLayoutTests {
    @Test("A ConnectionHandler takes one 304-byte malloc chunk (296 usable bytes)")
    func handlerSize() {
        let server = EmbeddedServer()
        let handler = ConnectionHandler(shared: server.shared, now: .now())
        let usable = mallocUsableSize(Unmanaged.passUnretained(handler).toOpaque())
        #expect(usable <= 296, "\(usable) usable bytes: reorder the stored properties or measure idle memory again")
    }
}
