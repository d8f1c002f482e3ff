/// An event's id: an RFC 4122 UUID, written as 36 characters (8-4-4-4-12 hex digits). Its canonical
/// spelling is lowercase; its key in the ledger is the 16 raw bytes.
public struct EventID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: String) {
        let chars = Array(text.utf8)
        guard chars.count == 36 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var index = 0
        while index < 36 {
            if [8, 13, 18, 23].contains(index) {
                guard chars[index] == UInt8(ascii: "-") else { return nil }
                index += 1
                continue
            }
            guard let pair = Hex.decodePair(chars[index], chars[index + 1]) else { return nil }
            bytes.append(pair)
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
        let hex = Hex.encode(bytes)
        let h = Array(hex)
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-"
            + String(h[16..<20]) + "-" + String(h[20..<32])
    }
}

extension Hex {
    static func decodePair(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let bytes = decode(String(decoding: [high, low], as: UTF8.self)) else { return nil }
        return bytes[0]
    }
}
