import Foundation

/// One version of one of a person's fields, with where it came from.
public struct ProvenanceVersion: Sendable {
    /// The value, opened from its seal; `nil` when its data key has been destroyed.
    public let value: JSONValue?
    /// The latest version received for this field and case.
    public let current: Bool
    public let caseID: String?
    public let source: String
    public let sourceKind: String?
    public let legalBasis: String
    public let purpose: String
    public let sourceReference: String?
    public let occurredAt: String
    public let recordedAt: Int64
    public let sequence: UInt64
    public let eventID: String
}

/// Every version of one field of a person, oldest first.
public struct FieldProvenance: Sendable {
    public let field: String
    public let category: String
    public let versions: [ProvenanceVersion]
}

/// One disclosure of a person's data to a recipient, with the versions it carried.
public struct RecipientDisclosure: Sendable {
    public struct DisclosedField: Sendable {
        public let field: String
        /// The sequence number of the ingestion whose version was sent.
        public let versionSequence: UInt64
        public let value: JSONValue?
    }

    public let sequence: UInt64
    public let eventID: String
    public let recipient: String
    public let recipientKind: String?
    public let recipientCountry: String?
    public let occurredAt: String
    public let recordedAt: Int64
    public let legalBasis: String
    public let purpose: String
    public let channel: String
    public let caseID: String?
    public let safeguard: Safeguard?
    public let fields: [DisclosedField]
}

extension Ledger {
    /// Where each datum about `subject` came from: every version of every field (or of `field`),
    /// with its source, basis, purpose, case and reference, values opened from their seals.
    public func provenance(subject: String, field: String? = nil) throws -> [FieldProvenance] {
        try environment.read { txn in
            try AESGCMOpener.withOpener { opener in
                var query = QueryContext(ledger: self, txn: txn, opener: opener)
                defer { query.close() }
                // One scan of the person's entries for all fields; a field's own prefix for one.
                let scanned = try projections.subjectEntries(of: subject, field: field, in: txn)
                query.entryStringIndex = WordTable(capacity: scanned.entries.count)
                query.entryStrings.reserveCapacity(scanned.entries.count)
                var answer: [FieldProvenance] = []
                answer.reserveCapacity(scanned.fields.count)
                for (field, range) in scanned.fields {
                    let current = QueryContext.currentFlags(count: range.count) {
                        scanned.entries[range.lowerBound + $0].version.caseID
                    }
                    var versions: [ProvenanceVersion] = []
                    versions.reserveCapacity(range.count)
                    for position in range {
                        let (version, entry) = scanned.entries[position]
                        // The entry carries the item's sealed value: no record is read.
                        let value = try query.value(sealedIn: entry, item: version.item, field: field)
                        let texts = try query.strings(of: entry, sequence: version.sequence)
                        versions.append(
                            ProvenanceVersion(
                                value: value, current: current[position - range.lowerBound], caseID: version.caseID,
                                source: query.entryStrings[texts].source,
                                sourceKind: query.entryStrings[texts].sourceKind,
                                legalBasis: query.entryStrings[texts].legalBasis,
                                purpose: query.entryStrings[texts].purpose,
                                sourceReference: query.entryStrings[texts].sourceReference,
                                occurredAt: query.entryStrings[texts].occurredAt, recordedAt: entry.recordedAt,
                                sequence: version.sequence, eventID: query.entryStrings[texts].eventID))
                    }
                    answer.append(
                        FieldProvenance(
                            field: field, category: Vocabulary.standard.fields[field]?.category ?? "",
                            versions: versions))
                }
                query.finish()
                return answer
            }
        }
    }

    /// Who received data about `subject` (or its `field`), when, why, and which version.
    public func recipients(subject: String, field: String? = nil) throws -> [RecipientDisclosure] {
        try environment.read { txn in
            try AESGCMOpener.withOpener { opener in
                var query = QueryContext(ledger: self, txn: txn, opener: opener)
                defer { query.close() }
                var kept: [(sequence: UInt64, entry: DisclosureEntry, versions: [DisclosureEntry.SentVersion])] = []
                var requests: [QueryContext.ValueRequest] = []
                for (sequence, entry) in try projections.disclosures(subject: subject, in: txn) {
                    let versions = field.map { field in entry.versions.filter { $0.field == field } } ?? entry.versions
                    guard !versions.isEmpty || (field == nil) else { continue }
                    for sent in versions {
                        // The box is bound to the ingestion's event id, which its record's event carries.
                        requests.append(
                            QueryContext.ValueRequest(sequence: sent.sequence, item: sent.item, field: sent.field))
                    }
                    kept.append((sequence, entry, versions))
                }
                let values = try query.values(requests)
                var next = 0
                var answer: [RecipientDisclosure] = []
                answer.reserveCapacity(kept.count)
                for (sequence, entry, versions) in kept {
                    let recipient = query.strings.string(entry.range(of: .recipient), of: entry.bytes) ?? ""
                    let party = try query.party(recipient, at: entry.occurredMicros)
                    var fields: [RecipientDisclosure.DisclosedField] = []
                    fields.reserveCapacity(versions.count)
                    for sent in versions {
                        fields.append(
                            RecipientDisclosure.DisclosedField(
                                field: sent.field, versionSequence: sent.sequence, value: values[next]))
                        next += 1
                    }
                    answer.append(
                        RecipientDisclosure(
                            sequence: sequence, eventID: QueryContext.uuidString(entry.eventIDWords),
                            recipient: recipient, recipientKind: party?.kind, recipientCountry: party?.country,
                            occurredAt: entry.occurredAt,
                            recordedAt: entry.recordedAt,
                            legalBasis: query.strings.string(entry.range(of: .legalBasis), of: entry.bytes) ?? "",
                            purpose: query.strings.string(entry.range(of: .purpose), of: entry.bytes) ?? "",
                            channel: query.strings.string(entry.range(of: .channel), of: entry.bytes) ?? "",
                            caseID: query.strings.string(entry.range(of: .caseID), of: entry.bytes),
                            safeguard: entry.safeguard, fields: fields))
                }
                query.finish()
                return answer
            }
        }
    }

    /// The subjects recorded with this personal identity code, in any accepted spelling. The code
    /// is looked up through its keyed digest only.
    public func lookup(personalIdentityCode code: String) throws -> [String] {
        let hmac = try HMACSHA256(key: keys.identityIndexKey)
        guard let digest = try IdentityIndex.digest(of: .string(code.trimmingWhitespace()), using: hmac) else {
            return []
        }
        return try environment.read { txn in try projections.subjects(for: digest, in: txn) }
    }
}

/// What one query reads more than once, and how it opens values. A provenance answer's values are
/// opened from the sealed values its entries carry; a recipients answer's from the records' binary
/// sealed sections, read in place (no record's JSON is parsed, nothing copied out but the plaintext
/// kept), each record once however many of its values the answer shows. Each data key is unwrapped
/// once per query, by the query's own opener, and keys one cipher context, which then opens every
/// value sealed under it. Party registrations come from ``QueryPartyCache`` (read once per party
/// while the ledger stays at one snapshot), the answer's strings from one ``StringTable``. A value of the
/// query's own closure (a struct, so that its state costs no dynamic exclusivity checks).
struct QueryContext {
    /// One value the answer shows, to be opened from its record's sealed section: item `item` of the
    /// ingestion at `sequence`, of `field`.
    struct ValueRequest {
        let sequence: UInt64
        let item: Int
        let field: String
    }

    let ledger: Ledger
    let txn: Transaction
    private let opener: AESGCMOpener
    /// The opener's key for each data key id; `nil` for a destroyed (erased) key.
    private var dataKeys = WordTable<AESGCMOpener.Key?>()
    /// The opener's key-encryption key, added when the first data key is unwrapped.
    private var keyEncryptionKey: AESGCMOpener.Key?
    /// The associated data of the value being opened, built in place.
    private var associatedData: UnsafeMutableRawBufferPointer
    /// The answer's strings, each made once.
    var strings = StringTable()
    /// The strings of each ingestion's provenance entry, and where they are by sequence number.
    var entryStrings: [EntryStrings] = []
    var entryStringIndex = WordTable<Int>(capacity: 0)
    /// Party registrations: the process's, at this snapshot, plus those read here.
    private var registrations: QueryPartyCache.Registrations?
    private var readRegistrations = false
    private var seenParties: [(party: String, registrations: [(micros: Int64, registration: PartyRegistration)])] = []

    init(ledger: Ledger, txn: Transaction, opener: AESGCMOpener) {
        self.ledger = ledger
        self.txn = txn
        self.opener = opener
        associatedData = .allocate(byteCount: 128, alignment: 8)
    }

    /// Frees what the query allocated; called once, by the query's `defer`.
    func close() { associatedData.deallocate() }

    /// The kind and country of `party`'s registration in force at `micros` (the latest whose
    /// occurredAt is not later). The parties a query has looked up are kept in a short list
    /// compared by equality (a person deals with a few dozen), before the dictionary.
    mutating func party(_ party: String, at micros: Int64) throws -> (kind: String, country: String)? {
        var index = seenParties.firstIndex { $0.party == party }
        if index == nil {
            if registrations == nil {
                registrations = QueryPartyCache.shared.registrations(of: ledger, snapshot: txn.snapshotID)
            }
            let found: [(micros: Int64, registration: PartyRegistration)]
            if let known = registrations?[party] {
                found = known
            } else {
                found = try ledger.projections.registrations(of: party, in: txn)
                registrations?[party] = found
                readRegistrations = true
            }
            seenParties.append((party, found))
            index = seenParties.count - 1
        }
        let list = seenParties[index!].registrations
        var position = list.count - 1
        while position >= 0 {
            if list[position].micros <= micros {
                return (list[position].registration.kind, list[position].registration.country)
            }
            position -= 1
        }
        return nil
    }

    /// The strings a provenance entry shows, and its source's kind, made once per ingestion: every
    /// item of one ingestion has the same entry up to its sealed value, so a person's versions of
    /// several fields from one event share them. Returns their place in ``entryStrings``. An entry
    /// whose event bytes differ from the first one seen for its sequence number (which a replay never
    /// writes) gets its own.
    mutating func strings(of entry: ProvenanceEntry, sequence: UInt64) throws -> Int {
        let known = entryStringIndex[(sequence, 0)]
        if let known, Self.sameEvent(entryStrings[known].entry, entry) { return known }
        let source = strings.string(entry.range(of: .source), of: entry.bytes) ?? ""
        entryStrings.append(
            EntryStrings(
                entry: entry, source: source, sourceKind: try party(source, at: entry.occurredMicros)?.kind,
                legalBasis: strings.string(entry.range(of: .legalBasis), of: entry.bytes) ?? "",
                purpose: strings.string(entry.range(of: .purpose), of: entry.bytes) ?? "",
                sourceReference: strings.string(entry.range(of: .sourceReference), of: entry.bytes),
                occurredAt: entry.occurredAt, eventID: Self.uuidString(entry.eventIDWords)))
        if known == nil { entryStringIndex.set(entryStrings.count - 1, for: (sequence, 0)) }
        return entryStrings.count - 1
    }

    /// What ``strings(of:sequence:)`` keeps per ingestion.
    struct EntryStrings {
        let entry: ProvenanceEntry
        let source: String
        let sourceKind: String?
        let legalBasis: String
        let purpose: String
        let sourceReference: String?
        let occurredAt: String
        let eventID: String
    }

    /// Whether two entries have the same bytes before their sealed values (those of one ingestion do).
    private static func sameEvent(_ a: ProvenanceEntry, _ b: ProvenanceEntry) -> Bool {
        let length = a.eventEnd
        return length == b.eventEnd
            && a.bytes.withUnsafeBytes { a in
                b.bytes.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, length) == 0 }
            }
    }

    /// Ends the query: hands the registrations it read to the process's cache.
    func finish() {
        guard readRegistrations, let registrations else { return }
        QueryPartyCache.shared.store(registrations, of: ledger, snapshot: txn.snapshotID)
    }

    /// The values of `requests`, in their order; `nil` where the data key has been destroyed
    /// (erased). Records are read in sequence order, each once, in place; a version asked for again
    /// (a recipients answer shows one version for every disclosure that sent it) is opened once.
    mutating func values(_ requests: [ValueRequest]) throws -> [JSONValue?] {
        var results = [JSONValue?](repeating: nil, count: requests.count)
        let order = Self.order(requests)
        // The first request of each version (sequence, item).
        var firsts = WordTable<Int>(capacity: requests.count)
        var start = 0
        while start < order.count {
            let sequence = order[start].sequence
            var end = start + 1
            while end < order.count && order[end].sequence == sequence { end += 1 }
            try ledger.log.withRecord(at: sequence, in: txn) { bytes in
                guard let bytes else {
                    throw StoredEvent.Unreadable(
                        description: "a projection points at record \(sequence), which is missing")
                }
                guard let record = RecordView(bytes), let sealed = SealedSectionView(record.sealed) else {
                    throw StoredEvent.Unreadable(description: "record \(sequence) has a malformed sealed section")
                }
                var recordEventID: (UInt64, UInt64)?
                for position in start..<end {
                    let index = order[position].index
                    let request = requests[index]
                    let version = (sequence, UInt64(request.item))
                    if let first = firsts[version] {
                        if requests[first].field == request.field {
                            results[index] = results[first]
                            continue
                        }
                    } else {
                        firsts.set(index, for: version)
                    }
                    guard let (keyID, box) = sealed.value(at: request.item) else {
                        throw StoredEvent.Unreadable(
                            description: "record \(sequence) has no sealed value for item \(request.item)")
                    }
                    guard let key = try dataKey(keyID) else { continue }
                    let eventID: (UInt64, UInt64)
                    if let known = recordEventID {
                        eventID = known
                    } else {
                        var read: (UInt64, UInt64) = (0, 0)
                        guard withUnsafeMutableBytes(of: &read, { record.eventID(into: $0) }) else {
                            throw StoredEvent.Unreadable(description: "record \(sequence) has no valid event id")
                        }
                        eventID = read
                        recordEventID = read
                    }
                    results[index] = try open(
                        box, key: key, keyID: keyID, eventID: eventID, item: request.item, field: request.field)
                }
            }
            start = end
        }
        return results
    }

    /// The value sealed in a provenance entry (its item's, as the record holds it); `nil` where the
    /// data key has been destroyed (erased).
    mutating func value(sealedIn entry: ProvenanceEntry, item: Int, field: String) throws -> JSONValue? {
        try entry.withSealed { keyID, box in
            guard let key = try dataKey(keyID) else { return nil }
            return try open(box, key: key, keyID: keyID, eventID: entry.eventIDWords, item: item, field: field)
        }
    }

    /// Opens one box of item `item` of `field` of the ingestion `eventID` (16 bytes as two words),
    /// with its associated data built in the query's buffer.
    private mutating func open(
        _ box: UnsafeRawBufferPointer, key: AESGCMOpener.Key, keyID: UnsafeRawBufferPointer,
        eventID: (UInt64, UInt64), item: Int, field: String
    ) throws -> JSONValue? {
        var eventID = eventID
        let length = withUnsafeBytes(of: &eventID) { id in
            Self.valueAssociatedData(into: &associatedData, eventID: id, item: item, field: field, keyID: keyID)
        }
        return try opener.open(
            box, key: key, associatedData: UnsafeRawBufferPointer(rebasing: associatedData[..<length]), Self.parseValue)
    }

    /// The requests' positions sorted by sequence number (then position). Packed into one word each
    /// when they fit, which sorts several times faster than pairs compared by a closure.
    static func order(_ requests: [ValueRequest]) -> [(sequence: UInt64, index: Int)] {
        if requests.count < 1 << 24, requests.allSatisfy({ $0.sequence < 1 << 40 }) {
            var packed = requests.indices.map { requests[$0].sequence << 24 | UInt64($0) }
            packed.sort()
            return packed.map { (sequence: $0 >> 24, index: Int($0 & 0xff_ffff)) }
        }
        var order = requests.indices.map { (sequence: requests[$0].sequence, index: $0) }
        order.sort { $0.sequence < $1.sequence || ($0.sequence == $1.sequence && $0.index < $1.index) }
        return order
    }

    /// "lineage value v1" ‖ 0x00.
    private static let valueLabel: (UInt64, UInt64, UInt8) = (
        UInt64(littleEndian: 0x2065_6761_656e_696c), UInt64(littleEndian: 0x3176_2065_756c_6176), 0
    )

    /// Writes a value's associated data at the start of `out` (reallocated larger when it is too
    /// small) and returns its length: the bytes of ``Vault/valueAssociatedData(eventID:item:field:keyID:)``,
    /// "lineage value v1" ‖ 0x00 ‖ event id (16) ‖ item (4, big-endian) ‖ field ‖ 0x00 ‖ key id (16),
    /// without an array per part.
    static func valueAssociatedData(
        into out: inout UnsafeMutableRawBufferPointer, eventID: UnsafeRawBufferPointer, item: Int, field: String,
        keyID: UnsafeRawBufferPointer
    ) -> Int {
        precondition(eventID.count == 16 && keyID.count == 16)
        var field = field
        return field.withUTF8 { fieldBytes in
            let length = 17 + 16 + 4 + fieldBytes.count + 1 + 16
            if out.count < length {
                out.deallocate()
                out = .allocate(byteCount: length * 2, alignment: 8)
            }
            let base = out.baseAddress!
            withUnsafeBytes(of: valueLabel) { base.copyMemory(from: $0.baseAddress!, byteCount: 17) }
            (base + 17).copyMemory(from: eventID.baseAddress!, byteCount: 16)
            (base + 33).storeBytes(of: UInt32(truncatingIfNeeded: item).bigEndian, as: UInt32.self)
            if let field = fieldBytes.baseAddress { (base + 37).copyMemory(from: field, byteCount: fieldBytes.count) }
            (base + 37 + fieldBytes.count).storeBytes(of: 0, as: UInt8.self)
            (base + 38 + fieldBytes.count).copyMemory(from: keyID.baseAddress!, byteCount: 16)
            return length
        }
    }

    /// The opener's key for a data key id, unwrapping the data key on first use; `nil` when it has
    /// been destroyed. The wrapped key is read in place and opened by this query's opener under the
    /// key-encryption key (keyed once per query); the data key goes from the opener's buffer straight
    /// into its cipher context.
    private mutating func dataKey(_ bytes: UnsafeRawBufferPointer) throws -> AESGCMOpener.Key? {
        let id = (
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        )
        if let known = dataKeys[id] { return known }
        let keyEncryptionKey = try keyEncryptionKey ?? opener.add(key: ledger.vault.keyEncryptionKey)
        self.keyEncryptionKey = keyEncryptionKey
        let length = Self.wrapAssociatedData(into: &associatedData, keyID: bytes)
        let key = try ledger.vault.withWrappedKey(id: Array(bytes), in: txn) { [opener, associatedData] wrapped in
            try wrapped.map { wrapped in
                try opener.add(
                    unwrapping: wrapped, under: keyEncryptionKey,
                    associatedData: UnsafeRawBufferPointer(rebasing: associatedData[..<length]))
            }
        }
        dataKeys.set(key, for: id)
        return key
    }

    /// Writes a wrapped data key's associated data at the start of `out` and returns its length: the
    /// bytes of ``Vault/wrapAssociatedData(keyID:)``, "lineage data key v1" ‖ 0x00 ‖ key id (16).
    static func wrapAssociatedData(into out: inout UnsafeMutableRawBufferPointer, keyID: UnsafeRawBufferPointer)
        -> Int
    {
        precondition(keyID.count == 16)
        let length = Vault.wrapLabel.count + 16
        if out.count < length {
            out.deallocate()
            out = .allocate(byteCount: length * 2, alignment: 8)
        }
        Vault.wrapLabel.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        (out.baseAddress! + Vault.wrapLabel.count).copyMemory(from: keyID.baseAddress!, byteCount: 16)
        return length
    }

    /// An event id's lowercase 8-4-4-4-12 spelling (``EventID/description``) from its 16 bytes.
    static func uuidString(_ id: (UInt64, UInt64)) -> String {
        withUnsafeBytes(of: id) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                hexPairs.withUnsafeBufferPointer { pairs in
                    var position = 0
                    for index in 0..<16 {
                        if index == 4 || index == 6 || index == 8 || index == 10 {
                            out[position] = UInt8(ascii: "-")
                            position += 1
                        }
                        let pair = pairs[Int(bytes[index])]
                        out[position] = UInt8(truncatingIfNeeded: pair >> 8)
                        out[position + 1] = UInt8(truncatingIfNeeded: pair)
                        position += 2
                    }
                    return position
                }
            }
        }
    }

    /// The two lowercase hex digits of every byte, high digit in the high half.
    private static let hexPairs: [UInt16] = (0..<256).map { byte in
        let digits = Array("0123456789abcdef".utf8)
        return UInt16(digits[byte >> 4]) << 8 | UInt16(digits[byte & 0x0f])
    }

    /// A value's plaintext, its canonical JSON, as a ``JSONValue``. Most values are strings, and a
    /// canonical string without escapes is its bytes between the quotes; anything else goes to the
    /// parser.
    static func parseValue(_ plaintext: UnsafeRawBufferPointer) throws -> JSONValue {
        let count = plaintext.count
        if count >= 2, plaintext[0] == UInt8(ascii: "\""), plaintext[count - 1] == UInt8(ascii: "\"") {
            let inner = UnsafeRawBufferPointer(rebasing: plaintext[1..<(count - 1)])
            let (plain, ascii) = Self.scan(inner)
            if plain {
                let text = String(decoding: inner, as: UTF8.self)
                // Valid UTF-8 decodes to itself; anything repaired goes to the parser, which refuses it.
                if ascii || Self.utf8(of: text, equals: inner) { return .string(text) }
            }
        }
        return try JSONParser.parse(plaintext)
    }

    /// Whether `bytes` hold no `"`, no `\\` and no control character (a canonical string's content
    /// that needs no unescaping), and whether they are all ASCII: eight bytes at a time, each test
    /// the classic "has a byte less than n" word trick, exact for whether any byte matches.
    static func scan(_ bytes: UnsafeRawBufferPointer) -> (plain: Bool, ascii: Bool) {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var high: UInt64 = 0
        var offset = 0
        while bytes.count - offset >= 8 {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5c)
            let special =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
            if special & highs != 0 { return (false, false) }
            high |= word & highs
            offset += 8
        }
        var ascii = high == 0
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return (false, false) }
            if byte >= 0x80 { ascii = false }
            offset += 1
        }
        return (true, ascii)
    }

    private static func utf8(of text: String, equals bytes: UnsafeRawBufferPointer) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { utf8 in
            utf8.count == bytes.count
                && (bytes.isEmpty || memcmp(utf8.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        } ?? text.utf8.elementsEqual(bytes)
    }

    /// Whether each version is current (``Projections/isSuperseded(_:by:)`` is false for it), in one
    /// pass from the newest: a version is superseded by any later version of its case or of no
    /// case, and a version of no case by any later version at all.
    static func currentFlags(_ versions: [Projections.VersionRef]) -> [Bool] {
        currentFlags(count: versions.count) { versions[$0].caseID }
    }

    /// ``currentFlags(_:)`` of `count` versions whose case ids `caseID` gives by position. A person
    /// has a handful of cases, so the later cases are a short list compared by equality (a set once
    /// it grows), not hashed; and once a version of no case has been seen, every earlier version is
    /// superseded.
    static func currentFlags(count: Int, caseID: (Int) -> String?) -> [Bool] {
        var current = [Bool](repeating: true, count: count)
        var laterCases: [String] = []
        var manyLaterCases: Set<String> = []
        var position = count - 1
        while position >= 0 {
            guard let caseID = caseID(position) else {
                // A version of no case: it supersedes every earlier version, and is superseded by
                // any later one.
                if position < count - 1 { current[position] = false }
                for earlier in 0..<position { current[earlier] = false }
                break
            }
            let seen = laterCases.contains(caseID) || manyLaterCases.contains(caseID)
            if seen {
                current[position] = false
            } else if laterCases.count < 16 {
                laterCases.append(caseID)
            } else {
                manyLaterCases.insert(caseID)
            }
            position -= 1
        }
        return current
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(self.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
