public import NIOCore

/// Reads RESP2 values from the bytes of a stream, one at a time, without copying or consuming
/// anything until a whole value has arrived. Every limit is checked before memory is given to
/// a value, so that no server (or impostor) can make the reader hold more than the limits say.
public enum RESPParser {
    /// The longest simple string, error or number line, CRLF excluded.
    public static let maxLineLength = 64 * 1024
    /// The longest bulk string: 64 MiB (Redis allows 512 MiB; the chat never stores that much).
    public static let maxBulkLength: Int64 = 64 << 20
    /// The most elements in one array.
    public static let maxArrayCount: Int64 = 1 << 20
    /// The deepest nesting of arrays.
    public static let maxDepth = 16

    /// The next whole value at the start of `buffer`'s readable bytes, which it then consumes;
    /// `nil` (nothing consumed) while the value is incomplete.
    ///
    /// - Throws: `RESPError` when the bytes are not RESP or break a limit.
    public static func next(from buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        var cursor = buffer.readerIndex
        guard let value = try self.value(in: buffer, at: &cursor, depth: 0) else { return nil }
        buffer.moveReaderIndex(to: cursor)
        return value
    }

    private static func value(in buffer: ByteBuffer, at cursor: inout Int, depth: Int) throws(RESPError) -> RESPValue? {
        guard let type = buffer.getInteger(at: cursor, as: UInt8.self) else { return nil }
        var position = cursor + 1
        guard let line = try self.line(in: buffer, at: &position) else { return nil }
        switch type {
        case UInt8(ascii: "+"):
            cursor = position
            return .simpleString(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: "-"):
            cursor = position
            return .error(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: ":"):
            cursor = position
            return .integer(try self.number(line))
        case UInt8(ascii: "$"):
            let length = try self.number(line)
            if length == -1 {
                cursor = position
                return .bulkString(nil)
            }
            guard length >= 0 else { throw .badNumber(String(length)) }
            guard length <= self.maxBulkLength else { throw .tooLarge(length) }
            let count = Int(length)
            guard buffer.writerIndex - position >= count + 2 else { return nil }
            guard buffer.getInteger(at: position + count, as: UInt16.self) == 0x0D0A else { throw .missingCRLF }
            let bytes = buffer.getSlice(at: position, length: count)
            cursor = position + count + 2
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            let count = try self.number(line)
            if count == -1 {
                cursor = position
                return .array(nil)
            }
            guard count >= 0 else { throw .badNumber(String(count)) }
            guard count <= self.maxArrayCount else { throw .tooLarge(count) }
            guard depth < self.maxDepth else { throw .tooDeep }
            var elements: [RESPValue] = []
            // Reserve only what bytes already arrived could hold: at least 3 bytes an element.
            elements.reserveCapacity(min(Int(count), (buffer.writerIndex - position) / 3))
            for _ in 0..<count {
                guard let element = try self.value(in: buffer, at: &position, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            cursor = position
            return .array(elements)
        default:
            throw .unknownType(type)
        }
    }

    /// The bytes up to the next CRLF from `position`, which moves past it; `nil` if no CRLF yet.
    /// Looks at no more than a line's limit, in place.
    private static func line(in buffer: ByteBuffer, at position: inout Int) throws(RESPError) -> [UInt8]? {
        let offset = position - buffer.readerIndex
        let found: (cr: Int?, scanned: Int) = buffer.withUnsafeReadableBytes { bytes in
            let end = min(bytes.count, offset + self.maxLineLength + 1)
            var index = offset
            while index < end {
                if bytes[index] == 0x0D { return (index, index - offset) }
                index += 1
            }
            return (nil, max(0, end - offset))
        }
        guard let cr = found.cr else {
            if found.scanned > self.maxLineLength { throw .lineTooLong }
            return nil
        }
        guard let lf = buffer.getInteger(at: buffer.readerIndex + cr + 1, as: UInt8.self) else { return nil }
        guard lf == 0x0A else { throw .missingCRLF }
        let start = position
        position = buffer.readerIndex + cr + 2
        return buffer.getBytes(at: start, length: buffer.readerIndex + cr - start)
    }

    /// A decimal line as a number: an optional minus sign, then 1 to 19 digits.
    private static func number(_ line: [UInt8]) throws(RESPError) -> Int64 {
        let shown = String(decoding: line.prefix(24), as: UTF8.self)
        let digits = line.first == UInt8(ascii: "-") ? line.dropFirst() : line[...]
        guard (1...19).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int64(String(decoding: line, as: UTF8.self))
        else { throw .badNumber(shown) }
        return value
    }
}
