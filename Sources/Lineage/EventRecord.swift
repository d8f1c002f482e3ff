import Foundation

/// The bytes stored for one event in `log.records`, and hashed as its Merkle leaf.
///
/// Version 2, all integers big-endian:
///
/// | offset | size | content |
/// | --- | --- | --- |
/// | 0 | 1 | format version, `0x02` |
/// | 1 | 8 | recorded at: microseconds since 1970-01-01T00:00:00Z, signed |
/// | 9 | 4 | length E of the canonical event |
/// | 13 | E | the event's canonical JSON (``CanonicalJSON``), UTF-8, values replaced by their seals' indexes |
/// | 13+E | 4 | length S of the sealed section |
/// | 17+E | S | the sealed values (``SealedValue``); S = 0 when the event carries none |
/// | 17+E+S | 4 | length R of the resolution section |
/// | 21+E+S | R | what the ledger resolved when it recorded the event (``Resolution``); R = 0 when nothing |
public struct EventRecord: Equatable, Sendable {
    public static let formatVersion: UInt8 = 2

    /// When the ledger committed the event, in microseconds since the Unix epoch.
    public let recordedAt: Int64
    /// The event's canonical JSON in its stored form.
    public let canonicalEvent: [UInt8]
    /// The sealed section.
    public let sealed: [UInt8]
    /// The resolution section.
    public let resolution: [UInt8]

    public init(recordedAt: Int64, canonicalEvent: [UInt8], sealed: [UInt8] = [], resolution: [UInt8] = []) {
        self.recordedAt = recordedAt
        self.canonicalEvent = canonicalEvent
        self.sealed = sealed
        self.resolution = resolution
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(21 + canonicalEvent.count + sealed.count + resolution.count)
        out.append(Self.formatVersion)
        BigEndian.append(UInt64(bitPattern: recordedAt), to: &out)
        BigEndian.append(UInt32(canonicalEvent.count), to: &out)
        canonicalEvent.withUnsafeBytes { out.append(contentsOf: $0) }
        BigEndian.append(UInt32(sealed.count), to: &out)
        sealed.withUnsafeBytes { out.append(contentsOf: $0) }
        BigEndian.append(UInt32(resolution.count), to: &out)
        resolution.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Decodes stored bytes; `nil` when they are not a well-formed record of a known version.
    public init?(decoding bytes: [UInt8]) {
        guard bytes.count >= 21, bytes[0] == Self.formatVersion,
            let recordedAt = BigEndian.uint64(bytes, at: 1),
            let eventLength = BigEndian.uint32(bytes, at: 9).map(Int.init),
            bytes.count >= 21 + eventLength,
            let sealedLength = BigEndian.uint32(bytes, at: 13 + eventLength).map(Int.init),
            bytes.count >= 21 + eventLength + sealedLength,
            let resolutionLength = BigEndian.uint32(bytes, at: 17 + eventLength + sealedLength).map(Int.init),
            bytes.count == 21 + eventLength + sealedLength + resolutionLength
        else { return nil }
        self.recordedAt = Int64(bitPattern: recordedAt)
        self.canonicalEvent = Array(bytes[13..<13 + eventLength])
        self.sealed = Array(bytes[(17 + eventLength)..<(17 + eventLength + sealedLength)])
        self.resolution = Array(bytes[(21 + eventLength + sealedLength)...])
    }
}

/// What the ledger decided when it recorded an event and the event alone does not say, kept in the
/// record (and so under the Merkle tree) rather than only in a projection: for a disclosure, the
/// version of each field it sent. Art. 19 notifications rest on it, and every projection can then be
/// derived from each record on its own.
///
/// Encoding: N (4 bytes), then N times the version sent for `payload.fields[i]`: the sequence number
/// of the ingestion that carried it (8 bytes) and the item's index in it (2 bytes). Big-endian.
public struct Resolution: Equatable, Sendable {
    public struct Version: Equatable, Sendable {
        public let sequence: UInt64
        public let item: Int
    }

    public let versions: [Version]

    public init(versions: [Version]) { self.versions = versions }

    public func encoded() -> [UInt8] {
        guard !versions.isEmpty else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(4 + versions.count * 10)
        BigEndian.append(UInt32(versions.count), to: &out)
        for version in versions {
            BigEndian.append(version.sequence, to: &out)
            out.append(UInt8(version.item >> 8))
            out.append(UInt8(version.item & 0xff))
        }
        return out
    }

    /// `nil` when malformed.
    public init?(decoding bytes: [UInt8]) {
        guard !bytes.isEmpty else {
            versions = []
            return
        }
        guard let count = BigEndian.uint32(bytes).map(Int.init), bytes.count == 4 + count * 10 else { return nil }
        versions = (0..<count).map { index in
            let offset = 4 + index * 10
            return Version(
                sequence: BigEndian.uint64(bytes, at: offset)!,
                item: Int(bytes[offset + 8]) << 8 | Int(bytes[offset + 9]))
        }
    }
}

extension EventRecord {
    /// A record's sections located in place, without copying or parsing its event: what `verify`
    /// checks of every record at hashing speed.
    struct Framing {
        /// The canonical event's bytes, lent from the record.
        let event: UnsafeRawBufferPointer
        /// The number of sealed values, each framed as FORMAT.md says.
        let sealedValues: Int
        /// The number of versions the resolution section names.
        let resolvedVersions: Int

        /// `nil` when the bytes are not a well-formed record of the current version.
        init?(_ bytes: UnsafeRawBufferPointer) {
            func uint32(_ offset: Int) -> Int? {
                guard offset >= 0, offset + 4 <= bytes.count else { return nil }
                return Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                    | Int(bytes[offset + 3])
            }
            guard bytes.count >= 21, bytes[0] == EventRecord.formatVersion, let eventLength = uint32(9),
                let sealedLength = uint32(13 + eventLength),
                let resolutionLength = uint32(17 + eventLength + sealedLength),
                bytes.count == 21 + eventLength + sealedLength + resolutionLength
            else { return nil }
            event = UnsafeRawBufferPointer(rebasing: bytes[13..<(13 + eventLength)])
            // The sealed section: a count, then per value a 16-byte key id, a length and a box of at least
            // a nonce and a tag.
            var sealed = 0
            if sealedLength > 0 {
                let start = 17 + eventLength
                guard let count = uint32(start) else { return nil }
                var offset = start + 4
                for _ in 0..<count {
                    guard let length = uint32(offset + 16), length >= SealedBox.nonceByteCount + SealedBox.tagByteCount
                    else { return nil }
                    offset += 20 + length
                }
                guard offset == start + sealedLength else { return nil }
                sealed = count
            }
            sealedValues = sealed
            var resolved = 0
            if resolutionLength > 0 {
                guard let count = uint32(21 + eventLength + sealedLength), count > 0, resolutionLength == 4 + 10 * count
                else { return nil }
                resolved = count
            }
            resolvedVersions = resolved
        }

        /// The event's type, read from the end of its canonical JSON: `type` sorts last among the
        /// envelope's members, and a type has no characters JSON escapes, so the canonical form ends
        /// `"type":"…"}`. Nil when it does not. Lent from the record, like ``event``.
        var eventType: UnsafeRawBufferPointer? {
            let marker = Self.typeMarker
            guard event.count > marker.count + 2, event[event.count - 1] == UInt8(ascii: "}"),
                event[event.count - 2] == UInt8(ascii: "\"")
            else { return nil }
            let end = event.count - 2
            var start = end
            while start > 0 && event[start - 1] != UInt8(ascii: "\"") { start -= 1 }
            guard start >= marker.count,
                marker.withUnsafeBytes({
                    memcmp($0.baseAddress!, event.baseAddress! + start - marker.count, marker.count)
                })
                    == 0
            else { return nil }
            return UnsafeRawBufferPointer(rebasing: event[start..<end])
        }

        private static let typeMarker = Array(#""type":""#.utf8)
    }
}
