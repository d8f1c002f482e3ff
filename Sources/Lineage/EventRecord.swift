/// The bytes stored for one event in `log.records`, and hashed as its Merkle leaf.
///
/// Version 1, all integers big-endian:
///
/// | offset | size | content |
/// | --- | --- | --- |
/// | 0 | 1 | format version, `0x01` |
/// | 1 | 8 | recorded at: microseconds since 1970-01-01T00:00:00Z, signed |
/// | 9 | 4 | length E of the canonical event |
/// | 13 | E | the event's canonical JSON (``CanonicalJSON``), UTF-8 |
/// | 13+E | 4 | length S of the sealed section |
/// | 17+E | S | sealed values (none yet: S = 0) |
public struct EventRecord: Equatable, Sendable {
    public static let formatVersion: UInt8 = 1

    /// When the ledger committed the event, in microseconds since the Unix epoch.
    public let recordedAt: Int64
    /// The event's canonical JSON.
    public let canonicalEvent: [UInt8]
    /// Sealed personal values; empty in format version 1.
    public let sealed: [UInt8]

    public init(recordedAt: Int64, canonicalEvent: [UInt8], sealed: [UInt8] = []) {
        self.recordedAt = recordedAt
        self.canonicalEvent = canonicalEvent
        self.sealed = sealed
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(17 + canonicalEvent.count + sealed.count)
        out.append(Self.formatVersion)
        out.append(contentsOf: BigEndian.bytes(UInt64(bitPattern: recordedAt)))
        out.append(contentsOf: BigEndian.bytes(UInt32(canonicalEvent.count)))
        out.append(contentsOf: canonicalEvent)
        out.append(contentsOf: BigEndian.bytes(UInt32(sealed.count)))
        out.append(contentsOf: sealed)
        return out
    }

    /// Decodes stored bytes; `nil` when they are not a well-formed record of a known version.
    public init?(decoding bytes: [UInt8]) {
        guard bytes.count >= 17, bytes[0] == Self.formatVersion,
            let recordedAt = BigEndian.uint64(bytes, at: 1),
            let eventLength = BigEndian.uint32(bytes, at: 9).map(Int.init),
            bytes.count >= 17 + eventLength,
            let sealedLength = BigEndian.uint32(bytes, at: 13 + eventLength).map(Int.init),
            bytes.count == 17 + eventLength + sealedLength
        else { return nil }
        self.recordedAt = Int64(bitPattern: recordedAt)
        self.canonicalEvent = Array(bytes[13..<13 + eventLength])
        self.sealed = Array(bytes[(17 + eventLength)...])
    }
}
