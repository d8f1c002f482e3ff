/// An event's id: an RFC 4122 UUID, written as 36 characters (8-4-4-4-12 hex digits). Its canonical
/// spelling is lowercase; its key in the ledger is the 16 raw bytes.
public struct EventID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: String) {
        var text = text
        guard let id = text.withUTF8({ EventID(utf8: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = id
    }

    /// ``init(_:)`` of the text's UTF-8 bytes.
    init?(utf8 chars: UnsafeRawBufferPointer) {
        guard chars.count == 36, chars[8] == UInt8(ascii: "-"), chars[13] == UInt8(ascii: "-"),
            chars[18] == UInt8(ascii: "-"), chars[23] == UInt8(ascii: "-")
        else { return nil }
        // Two 64-bit halves, made an array at the end in one allocation.
        var halves: (UInt64, UInt64) = (0, 0)
        var invalid: UInt8 = 0
        withUnsafeMutableBytes(of: &halves) { out in
            var index = 0
            for position in 0..<16 {
                if index == 8 || index == 13 || index == 18 || index == 23 { index += 1 }
                let (high, low) = (Self.hexValue(chars[index]), Self.hexValue(chars[index + 1]))
                invalid |= (high | low) & 0xf0
                out[position] = high << 4 | low
                index += 2
            }
        }
        // The nil UUID names nothing; a feeding system that sends it has not assigned an id.
        guard invalid == 0, halves != (0, 0) else { return nil }
        bytes = withUnsafeBytes(of: halves) { Array($0) }
    }

    /// A hex digit's value in either case, or 16 or more for any other byte. Without branches: ids are
    /// random, so a branch per digit would be mispredicted half the time.
    private static func hexValue(_ byte: UInt8) -> UInt8 {
        let digit = byte &- UInt8(ascii: "0")
        let letter = (byte | 0x20) &- UInt8(ascii: "a")
        return digit < 10 ? digit : letter < 6 ? letter &+ 10 : 0xff
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// The lowercase 8-4-4-4-12 spelling.
    public var description: String {
        String(unsafeUninitializedCapacity: 36) { out in
            var position = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                let (high, low) = Hex.digits(of: byte)
                out[position] = high
                out[position + 1] = low
                position += 2
            }
            return position
        }
    }
}
