/// The fixed sizes of the chat255 wire format (docs/PROTOCOL.md, "Frames").
public enum Wire {
    /// Bytes in one name field (destination or source), spaces included.
    public static let nameLength = 8
    /// Bytes of the two name fields together, before the body.
    public static let headerLength = 2 * nameLength
    /// The largest body: 256 - 16 header bytes - 1 NUL.
    public static let maxBodyLength = 239
    /// The largest frame, NUL included.
    public static let maxFrameLength = 256
    /// The byte that ends every frame.
    public static let terminator: UInt8 = 0
    /// The byte names are padded with.
    public static let padding = UInt8(ascii: " ")
}
