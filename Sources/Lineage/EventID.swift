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
        guard chars.count == 36 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var index = 0
        while index < 36 {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard chars[index] == UInt8(ascii: "-") else { return nil }
                index += 1
                continue
            }
            guard let high = Hex.value(chars[index]), let low = Hex.value(chars[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        // The nil UUID names nothing; a feeding system that sends it has not assigned an id.
        guard bytes.contains(where: { $0 != 0 }) else { return nil }
        self.bytes = bytes
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
