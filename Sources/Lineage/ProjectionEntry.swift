import LedgerStore

/// What a provenance or disclosure projection stores beside its key: everything a query shows about
/// the event, so that `provenance` and `recipients` never parse a record's JSON (the values
/// themselves are opened from the record's sealed section, which is binary). The encoding is a
/// fixed sequence of fields: strings as a 2-byte big-endian length and UTF-8 (0xffff for absent),
/// integers as 8 bytes big-endian. docs/FORMAT.md lists the fields.
struct EntryWriter {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(160) }

    mutating func string(_ text: String?) {
        guard let text else {
            bytes.append(0xff)
            bytes.append(0xff)
            return
        }
        // Identifiers are at most 1,000 characters (4,000 bytes), far below the 0xfffe limit.
        let count = min(text.utf8.count, 0xfffe)
        bytes.append(UInt8(count >> 8))
        bytes.append(UInt8(count & 0xff))
        bytes.append(contentsOf: text.utf8.prefix(count))
    }

    mutating func uint64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func int64(_ value: Int64) { uint64(UInt64(bitPattern: value)) }

    mutating func raw(_ fixed: [UInt8]) { bytes.append(contentsOf: fixed) }
}

/// Reads what an ``EntryWriter`` wrote; every read fails (nil) past the end instead of trapping, since
/// a damaged page must not crash a query.
struct EntryReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func string() -> String?? {
        guard offset + 2 <= bytes.count else { return nil }
        let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
        offset += 2
        if length == 0xffff { return .some(nil) }
        guard offset + length <= bytes.count else { return nil }
        defer { offset += length }
        return .some(String(decoding: bytes[offset..<(offset + length)], as: UTF8.self))
    }

    mutating func requiredString() -> String? {
        guard case .some(.some(let text)) = string() else { return nil }
        return text
    }

    mutating func uint64() -> UInt64? {
        guard let value = BigEndian.uint64(bytes, at: offset) else { return nil }
        offset += 8
        return value
    }

    mutating func int64() -> Int64? { uint64().map { Int64(bitPattern: $0) } }

    mutating func raw(_ count: Int) -> [UInt8]? {
        guard offset + count <= bytes.count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }
}

/// The value of a `projection.provenance` entry: one ingested item's event, without its value.
struct ProvenanceEntry: Equatable {
    let caseID: String?
    let source: String
    let legalBasis: String
    let purpose: String
    let sourceReference: String?
    /// The event's occurredAt as received, and the instant it names.
    let occurredAt: String
    let occurredMicros: Int64
    let recordedAt: Int64
    let eventID: EventID

    func encoded() -> [UInt8] {
        var writer = EntryWriter()
        writer.string(caseID)
        writer.string(source)
        writer.string(legalBasis)
        writer.string(purpose)
        writer.string(sourceReference)
        writer.string(occurredAt)
        writer.int64(occurredMicros)
        writer.int64(recordedAt)
        writer.raw(eventID.bytes)
        return writer.bytes
    }

    init(
        caseID: String?, source: String, legalBasis: String, purpose: String, sourceReference: String?,
        occurredAt: String, occurredMicros: Int64, recordedAt: Int64, eventID: EventID
    ) {
        self.caseID = caseID
        self.source = source
        self.legalBasis = legalBasis
        self.purpose = purpose
        self.sourceReference = sourceReference
        self.occurredAt = occurredAt
        self.occurredMicros = occurredMicros
        self.recordedAt = recordedAt
        self.eventID = eventID
    }

    init?(decoding bytes: [UInt8]) {
        var reader = EntryReader(bytes)
        guard let caseID = reader.string(), let source = reader.requiredString(),
            let legalBasis = reader.requiredString(), let purpose = reader.requiredString(),
            let sourceReference = reader.string(), let occurredAt = reader.requiredString(),
            let occurredMicros = reader.int64(), let recordedAt = reader.int64(),
            let idBytes = reader.raw(16), let eventID = EventID(bytes: idBytes), reader.isAtEnd
        else { return nil }
        self.init(
            caseID: caseID, source: source, legalBasis: legalBasis, purpose: purpose, sourceReference: sourceReference,
            occurredAt: occurredAt, occurredMicros: occurredMicros, recordedAt: recordedAt, eventID: eventID)
    }

    /// Only the case id, which the write path's version lookups need, without decoding the rest.
    static func caseID(in bytes: [UInt8]) -> String?? {
        var reader = EntryReader(bytes)
        return reader.string()
    }
}

/// The value of a `projection.disclosures` entry: the disclosure event and the versions it sent.
struct DisclosureEntry: Equatable {
    struct SentVersion: Equatable {
        let field: String
        let sequence: UInt64
        let item: Int
    }

    let caseID: String?
    let recipient: String
    let legalBasis: String
    let purpose: String
    let channel: String
    let safeguard: Safeguard?
    /// The event's occurredAt as received, and the instant it names.
    let occurredAt: String
    let occurredMicros: Int64
    let recordedAt: Int64
    let eventID: EventID
    let versions: [SentVersion]

    func encoded() -> [UInt8] {
        var writer = EntryWriter()
        writer.string(caseID)
        writer.string(recipient)
        writer.string(legalBasis)
        writer.string(purpose)
        writer.string(channel)
        writer.string(safeguard?.type)
        writer.string(safeguard?.reference)
        writer.string(occurredAt)
        writer.int64(occurredMicros)
        writer.int64(recordedAt)
        writer.raw(eventID.bytes)
        writer.uint64(UInt64(versions.count))
        for version in versions {
            writer.string(version.field)
            writer.uint64(version.sequence)
            writer.uint64(UInt64(version.item))
        }
        return writer.bytes
    }

    init(
        caseID: String?, recipient: String, legalBasis: String, purpose: String, channel: String,
        safeguard: Safeguard?, occurredAt: String, occurredMicros: Int64, recordedAt: Int64, eventID: EventID,
        versions: [SentVersion]
    ) {
        self.caseID = caseID
        self.recipient = recipient
        self.legalBasis = legalBasis
        self.purpose = purpose
        self.channel = channel
        self.safeguard = safeguard
        self.occurredAt = occurredAt
        self.occurredMicros = occurredMicros
        self.recordedAt = recordedAt
        self.eventID = eventID
        self.versions = versions
    }

    init?(decoding bytes: [UInt8]) {
        var reader = EntryReader(bytes)
        guard let caseID = reader.string(), let recipient = reader.requiredString(),
            let legalBasis = reader.requiredString(), let purpose = reader.requiredString(),
            let channel = reader.requiredString(), let safeguardType = reader.string(),
            let safeguardReference = reader.string(), let occurredAt = reader.requiredString(),
            let occurredMicros = reader.int64(), let recordedAt = reader.int64(),
            let idBytes = reader.raw(16), let eventID = EventID(bytes: idBytes), let count = reader.uint64(),
            count <= 1_000
        else { return nil }
        var versions: [SentVersion] = []
        for _ in 0..<count {
            guard let field = reader.requiredString(), let sequence = reader.uint64(), let item = reader.uint64(),
                item <= 0xffff
            else { return nil }
            versions.append(SentVersion(field: field, sequence: sequence, item: Int(item)))
        }
        guard reader.isAtEnd else { return nil }
        let safeguard = safeguardType.flatMap { type in safeguardReference.map { Safeguard(type: type, reference: $0) } }
        self.init(
            caseID: caseID, recipient: recipient, legalBasis: legalBasis, purpose: purpose, channel: channel,
            safeguard: safeguard, occurredAt: occurredAt, occurredMicros: occurredMicros, recordedAt: recordedAt,
            eventID: eventID, versions: versions)
    }
}
