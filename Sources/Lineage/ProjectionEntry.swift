import LedgerStore

/// What a provenance or disclosure projection stores beside its key: everything a query shows about
/// the event, so that `provenance` and `recipients` never parse a record's JSON (a provenance entry
/// carries its item's sealed value too; a disclosure's values are opened from the records' sealed
/// sections, which are binary). The encoding is a
/// fixed sequence of fields: strings as a 2-byte big-endian length and UTF-8 (0xffff for absent),
/// integers as 8 bytes big-endian. docs/FORMAT.md lists the fields.
struct EntryWriter {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(160) }

    /// A writer that starts with `prefix`'s bytes, in a buffer of `capacity`: each item's entry of
    /// an ingestion starts with the fields they share, and a copy of them that then grows reallocates.
    init(startingWith prefix: EntryWriter, capacity: Int) {
        bytes.reserveCapacity(max(capacity, prefix.bytes.count))
        prefix.bytes.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ text: String?) {
        guard let text else {
            bytes.append(0xff)
            bytes.append(0xff)
            return
        }
        // From the contiguous UTF-8: a prefix of `utf8` is a slice that is appended a byte at a time
        // (about 800 instructions per string, 4 % of an import's writer).
        var contiguous = text
        contiguous.withUTF8 { utf8 in
            // Identifiers are at most 1,000 characters (4,000 bytes), far below the 0xfffe limit.
            let count = min(utf8.count, 0xfffe)
            withUnsafeBytes(of: UInt16(count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[..<count]))
        }
    }

    /// The 8 bytes in one append: a byte at a time checked the buffer's uniqueness and capacity
    /// eight times.
    mutating func uint64(_ value: UInt64) { BigEndian.append(value, to: &bytes) }

    mutating func int64(_ value: Int64) { uint64(UInt64(bitPattern: value)) }

    mutating func uint32(_ value: UInt32) { BigEndian.append(value, to: &bytes) }

    mutating func raw(_ fixed: [UInt8]) { fixed.withUnsafeBytes { bytes.append(contentsOf: $0) } }
}

/// Reads what an ``EntryWriter`` wrote; every read fails (nil) past the end instead of trapping, since
/// a damaged page must not crash a query.
struct EntryReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8], at offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

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

/// Where the strings of an entry start: the offset of each string's length prefix (up to eight), and
/// of the fixed-size fields after them. Found once, when the entry is read and checked, so that a
/// field is decoded only when it is asked for, and the entry itself stays one array (copying an
/// entry retains one buffer, not a dozen strings).
struct EntryLayout {
    private var offsets: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Where the fields after the strings start.
    private(set) var fixed = 0

    /// Walks `count` strings from the start of `bytes`; `nil` when one runs past the end or a string
    /// that `required` names is absent.
    init?(_ bytes: [UInt8], strings count: Int, required: (Int) -> Bool) {
        precondition(count <= 8)
        var offset = 0
        for index in 0..<count {
            guard bytes.count - offset >= 2 else { return nil }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            withUnsafeMutableBytes(of: &offsets) {
                $0.storeBytes(of: Int32(offset), toByteOffset: index * 4, as: Int32.self)
            }
            if length == 0xffff {
                guard !required(index) else { return nil }
                offset += 2
                continue
            }
            guard bytes.count - offset - 2 >= length else { return nil }
            offset += 2 + length
        }
        fixed = offset
    }

    /// The bytes of string `index` (without its length), or `nil` when it is absent.
    @inline(__always)
    func range(of index: Int, in bytes: [UInt8]) -> Range<Int>? {
        let offset = Int(withUnsafeBytes(of: offsets) { $0.load(fromByteOffset: index * 4, as: Int32.self) })
        let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
        return length == 0xffff ? nil : (offset + 2)..<(offset + 2 + length)
    }

    /// String `index`, decoded; `nil` when it is absent.
    func string(_ index: Int, in bytes: [UInt8]) -> String? {
        guard let range = range(of: index, in: bytes) else { return nil }
        return bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self)
        }
    }

    /// The 16 bytes at `offset` past the strings, as two words in memory order.
    @inline(__always)
    func words(at offset: Int, in bytes: [UInt8]) -> (UInt64, UInt64) {
        bytes.withUnsafeBytes {
            (
                $0.loadUnaligned(fromByteOffset: fixed + offset, as: UInt64.self),
                $0.loadUnaligned(fromByteOffset: fixed + offset + 8, as: UInt64.self)
            )
        }
    }

    /// The big-endian integer at `offset` past the strings.
    @inline(__always)
    func int64(at offset: Int, in bytes: [UInt8]) -> Int64 {
        bytes.withUnsafeBytes {
            Int64(bitPattern: UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: fixed + offset, as: UInt64.self)))
        }
    }
}

/// The value of a `projection.provenance` entry: one ingested item's event, and its value as sealed
/// in the record (the same key id and box), so that a query opens the value without reading the
/// record. It keeps its encoding and decodes a field when it is read.
struct ProvenanceEntry: Equatable {
    /// The string fields, in the order they are stored.
    enum Text: Int {
        case caseID, source, legalBasis, purpose, sourceReference, occurredAt
    }

    /// The encoded entry, as stored.
    let bytes: [UInt8]
    private let layout: EntryLayout

    var caseID: String? { layout.string(Text.caseID.rawValue, in: bytes) }
    var source: String { layout.string(Text.source.rawValue, in: bytes)! }
    var legalBasis: String { layout.string(Text.legalBasis.rawValue, in: bytes)! }
    var purpose: String { layout.string(Text.purpose.rawValue, in: bytes)! }
    var sourceReference: String? { layout.string(Text.sourceReference.rawValue, in: bytes) }
    /// The event's occurredAt as received, and the instant it names.
    var occurredAt: String { layout.string(Text.occurredAt.rawValue, in: bytes)! }
    var occurredMicros: Int64 { layout.int64(at: 0, in: bytes) }
    var recordedAt: Int64 { layout.int64(at: 8, in: bytes) }
    var eventID: EventID { EventID(bytes: Array(bytes[(layout.fixed + 16)..<eventEnd]))! }

    /// Where the fields of the event end and the item's sealed value begins: every item of one
    /// ingestion has the same bytes before it.
    var eventEnd: Int { layout.fixed + 32 }

    /// Lends the item's sealed value as the record holds it, in place: the data key id (16 bytes) and
    /// the box (nonce ‖ ciphertext ‖ tag).
    func withSealed<T>(_ body: (_ keyID: UnsafeRawBufferPointer, _ box: UnsafeRawBufferPointer) throws -> T) rethrows
        -> T
    {
        try bytes.withUnsafeBytes { bytes in
            try body(
                UnsafeRawBufferPointer(rebasing: bytes[eventEnd..<(eventEnd + 16)]),
                UnsafeRawBufferPointer(rebasing: bytes[(eventEnd + 20)...]))
        }
    }

    /// Where string `text` sits in ``bytes``; `nil` when it is absent.
    @inline(__always)
    func range(of text: Text) -> Range<Int>? { layout.range(of: text.rawValue, in: bytes) }

    /// The event id's 16 bytes as two words, in memory order (no array).
    var eventIDWords: (UInt64, UInt64) { layout.words(at: 16, in: bytes) }

    func encoded() -> [UInt8] { bytes }

    init(
        caseID: String?, source: String, legalBasis: String, purpose: String, sourceReference: String?,
        occurredAt: String, occurredMicros: Int64, recordedAt: Int64, eventID: EventID, sealed: SealedValue
    ) {
        var writer = Self.eventFields(
            caseID: caseID, source: source, legalBasis: legalBasis, purpose: purpose,
            sourceReference: sourceReference, occurredAt: occurredAt, occurredMicros: occurredMicros,
            recordedAt: recordedAt, eventID: eventID)
        Self.append(sealed, to: &writer)
        self.init(decoding: writer.bytes)!
    }

    /// The fields every item of one ingestion shares, up to and including the event id; an item's
    /// entry is these followed by its sealed value (``append(_:to:)``).
    static func eventFields(
        caseID: String?, source: String, legalBasis: String, purpose: String, sourceReference: String?,
        occurredAt: String, occurredMicros: Int64, recordedAt: Int64, eventID: EventID
    ) -> EntryWriter {
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
        return writer
    }

    /// The bytes ``append(_:to:)`` adds.
    static func appendedCount(_ sealed: SealedValue) -> Int { sealed.keyID.count + 4 + sealed.combined.count }

    /// Appends a sealed value as the record's sealed section holds one: key id (16), length L (4,
    /// big-endian), nonce ‖ ciphertext ‖ tag (L).
    static func append(_ sealed: SealedValue, to writer: inout EntryWriter) {
        writer.raw(sealed.keyID)
        writer.uint32(UInt32(sealed.combined.count))
        writer.raw(sealed.combined)
    }

    /// Checks an entry's structure (every length, the required fields, a key id and a box at least a
    /// nonce and a tag long after the event id, nothing after the box) and keeps it; `nil` when it is
    /// not a well-formed entry.
    init?(decoding bytes: [UInt8]) {
        guard
            let layout = EntryLayout(
                bytes, strings: 6,
                required: { $0 != Text.caseID.rawValue && $0 != Text.sourceReference.rawValue }),
            bytes.count - layout.fixed >= 32 + 20,
            let length = BigEndian.uint32(bytes, at: layout.fixed + 32 + 16).map(Int.init),
            length >= SealedBox.nonceByteCount + SealedBox.tagByteCount,
            bytes.count - layout.fixed - 32 - 20 == length
        else { return nil }
        self.bytes = bytes
        self.layout = layout
    }

    static func == (lhs: ProvenanceEntry, rhs: ProvenanceEntry) -> Bool { lhs.bytes == rhs.bytes }

    /// Only the case id, which the write path's version lookups need, without decoding the rest.
    static func caseID(in bytes: [UInt8]) -> String?? {
        bytes.withUnsafeBufferPointer { bytes in
            guard bytes.count >= 2 else { return nil }
            let length = Int(bytes[0]) << 8 | Int(bytes[1])
            if length == 0xffff { return .some(nil) }
            guard bytes.count - 2 >= length else { return nil }
            return .some(String(decoding: UnsafeBufferPointer(rebasing: bytes[2..<(2 + length)]), as: UTF8.self))
        }
    }
}

/// The value of a `projection.disclosures` entry: the disclosure event and the versions it sent. It
/// keeps its encoding and decodes a string field when it is read; the versions are decoded when the
/// entry is read.
struct DisclosureEntry: Equatable {
    struct SentVersion: Equatable {
        let field: String
        let sequence: UInt64
        let item: Int
    }

    /// The string fields, in the order they are stored.
    enum Text: Int {
        case caseID, recipient, legalBasis, purpose, channel, safeguardType, safeguardReference, occurredAt
    }

    /// The encoded entry, as stored.
    let bytes: [UInt8]
    private let layout: EntryLayout
    let versions: [SentVersion]

    var caseID: String? { layout.string(Text.caseID.rawValue, in: bytes) }
    var recipient: String { layout.string(Text.recipient.rawValue, in: bytes)! }
    var legalBasis: String { layout.string(Text.legalBasis.rawValue, in: bytes)! }
    var purpose: String { layout.string(Text.purpose.rawValue, in: bytes)! }
    var channel: String { layout.string(Text.channel.rawValue, in: bytes)! }
    /// The transfer safeguard, when both its type and its reference are there.
    var safeguard: Safeguard? {
        guard let type = layout.string(Text.safeguardType.rawValue, in: bytes),
            let reference = layout.string(Text.safeguardReference.rawValue, in: bytes)
        else { return nil }
        return Safeguard(type: type, reference: reference)
    }
    /// The event's occurredAt as received, and the instant it names.
    var occurredAt: String { layout.string(Text.occurredAt.rawValue, in: bytes)! }
    var occurredMicros: Int64 { layout.int64(at: 0, in: bytes) }
    var recordedAt: Int64 { layout.int64(at: 8, in: bytes) }
    var eventID: EventID { EventID(bytes: Array(bytes[(layout.fixed + 16)..<(layout.fixed + 32)]))! }

    /// The event id's 16 bytes as two words, in memory order (no array).
    var eventIDWords: (UInt64, UInt64) { layout.words(at: 16, in: bytes) }

    /// Where string `text` sits in ``bytes``; `nil` when it is absent.
    @inline(__always)
    func range(of text: Text) -> Range<Int>? { layout.range(of: text.rawValue, in: bytes) }

    func encoded() -> [UInt8] { bytes }

    init(
        caseID: String?, recipient: String, legalBasis: String, purpose: String, channel: String,
        safeguard: Safeguard?, occurredAt: String, occurredMicros: Int64, recordedAt: Int64, eventID: EventID,
        versions: [SentVersion]
    ) {
        self.init(
            decoding: Self.encode(
                caseID: caseID, recipient: recipient, legalBasis: legalBasis, purpose: purpose, channel: channel,
                safeguard: safeguard, occurredAt: occurredAt, occurredMicros: occurredMicros, recordedAt: recordedAt,
                eventID: eventID, versions: versions))!
    }

    /// The entry's bytes, without decoding them back: what the write path and a rebuild store.
    static func encode(
        caseID: String?, recipient: String, legalBasis: String, purpose: String, channel: String,
        safeguard: Safeguard?, occurredAt: String, occurredMicros: Int64, recordedAt: Int64, eventID: EventID,
        versions: [SentVersion]
    ) -> [UInt8] {
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

    /// Checks an entry's structure and decodes its versions; `nil` when it is not a well-formed
    /// entry (a length past the end, a required field absent, more than 1,000 versions, an item
    /// index past 0xffff, bytes after the last version).
    init?(decoding bytes: [UInt8]) {
        guard
            let layout = EntryLayout(
                bytes, strings: 8,
                required: {
                    $0 != Text.caseID.rawValue && $0 != Text.safeguardType.rawValue
                        && $0 != Text.safeguardReference.rawValue
                }),
            bytes.count - layout.fixed >= 40
        else { return nil }
        var reader = EntryReader(bytes, at: layout.fixed + 32)
        guard let count = reader.uint64(), count <= 1_000 else { return nil }
        var versions: [SentVersion] = []
        versions.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let field = reader.requiredString(), let sequence = reader.uint64(), let item = reader.uint64(),
                item <= 0xffff
            else { return nil }
            versions.append(SentVersion(field: field, sequence: sequence, item: Int(item)))
        }
        guard reader.isAtEnd else { return nil }
        self.bytes = bytes
        self.layout = layout
        self.versions = versions
    }

    static func == (lhs: DisclosureEntry, rhs: DisclosureEntry) -> Bool { lhs.bytes == rhs.bytes }
}
