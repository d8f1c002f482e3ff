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
                let query = QueryContext(ledger: self, txn: txn, opener: opener)
                let fields = try field.map { [$0] } ?? projections.fields(of: subject, in: txn)
                var found: [(field: String, entries: [(version: Projections.VersionRef, entry: ProvenanceEntry)])] = []
                var requests: [QueryContext.ValueRequest] = []
                for field in fields {
                    let entries = try projections.entries(subject: subject, field: field, in: txn)
                    guard !entries.isEmpty else { continue }
                    let decoded = try entries.map { found in
                        guard let entry = found.entry else {
                            throw StoredEvent.Unreadable(description: "a provenance entry could not be read")
                        }
                        requests.append(
                            QueryContext.ValueRequest(
                                sequence: found.version.sequence, item: found.version.item, field: field,
                                eventID: entry.eventID))
                        return (found.version, entry)
                    }
                    found.append((field, decoded))
                }
                let values = try query.values(requests)
                var next = 0
                let answer = try found.map { field, entries in
                    let current = QueryContext.currentFlags(entries.map(\.version))
                    var versions: [ProvenanceVersion] = []
                    versions.reserveCapacity(entries.count)
                    for (position, (version, entry)) in entries.enumerated() {
                        versions.append(
                            ProvenanceVersion(
                                value: values[next], current: current[position], caseID: entry.caseID,
                                source: entry.source,
                                sourceKind: try query.party(entry.source, at: entry.occurredMicros)?.kind,
                                legalBasis: entry.legalBasis, purpose: entry.purpose,
                                sourceReference: entry.sourceReference, occurredAt: entry.occurredAt,
                                recordedAt: entry.recordedAt, sequence: version.sequence,
                                eventID: entry.eventID.description))
                        next += 1
                    }
                    return FieldProvenance(
                        field: field, category: Vocabulary.standard.fields[field]?.category ?? "", versions: versions)
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
                let query = QueryContext(ledger: self, txn: txn, opener: opener)
                var kept: [(sequence: UInt64, entry: DisclosureEntry, versions: [DisclosureEntry.SentVersion])] = []
                var requests: [QueryContext.ValueRequest] = []
                for (sequence, entry) in try projections.disclosures(subject: subject, in: txn) {
                    let versions = field.map { field in entry.versions.filter { $0.field == field } } ?? entry.versions
                    guard !versions.isEmpty || (field == nil) else { continue }
                    for sent in versions {
                        // The box is bound to the ingestion's event id, which its record's event carries.
                        requests.append(
                            QueryContext.ValueRequest(
                                sequence: sent.sequence, item: sent.item, field: sent.field, eventID: nil))
                    }
                    kept.append((sequence, entry, versions))
                }
                let values = try query.values(requests)
                var next = 0
                let answer = try kept.map { sequence, entry, versions in
                    let party = try query.party(entry.recipient, at: entry.occurredMicros)
                    var fields: [RecipientDisclosure.DisclosedField] = []
                    fields.reserveCapacity(versions.count)
                    for sent in versions {
                        fields.append(
                            RecipientDisclosure.DisclosedField(
                                field: sent.field, versionSequence: sent.sequence, value: values[next]))
                        next += 1
                    }
                    return RecipientDisclosure(
                        sequence: sequence, eventID: entry.eventID.description,
                        recipient: entry.recipient, recipientKind: party?.kind, recipientCountry: party?.country,
                        occurredAt: entry.occurredAt, recordedAt: entry.recordedAt, legalBasis: entry.legalBasis,
                        purpose: entry.purpose, channel: entry.channel, caseID: entry.caseID,
                        safeguard: entry.safeguard, fields: fields)
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

/// What one query reads more than once, and how it opens values. Values are opened from the
/// records' binary sealed sections, read in place (no record's JSON is parsed, nothing copied out
/// but the plaintext kept); each record is read once however many of its values the answer shows;
/// each data key is unwrapped once per query and keys one cipher context, which then opens every
/// value sealed under it. Party registrations come from ``QueryPartyCache`` (read once per party
/// while the log keeps its size).
final class QueryContext {
    /// One value the answer shows: item `item` of the ingestion at `sequence`, of `field`. The box is
    /// bound to the ingestion's event id: `eventID` when the caller knows it, else read from the record.
    struct ValueRequest {
        let sequence: UInt64
        let item: Int
        let field: String
        let eventID: EventID?
    }

    /// A data key id: 16 bytes, hashed as two words rather than byte by byte.
    private struct KeyID: Hashable {
        let high: UInt64
        let low: UInt64

        init(_ bytes: UnsafeRawBufferPointer) {
            high = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
            low = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        }
    }

    let ledger: Ledger
    let txn: Transaction
    private let opener: AESGCMOpener
    /// The opener's key for each data key id; `nil` for a destroyed (erased) key.
    private var dataKeys: [KeyID: AESGCMOpener.Key?] = [:]
    /// Party registrations: the process's, at this snapshot's log size, plus those read here.
    private var registrations: QueryPartyCache.Registrations?
    private var logSize: UInt64 = 0
    private var readRegistrations = false
    private var seenParties: [(party: String, registrations: [(micros: Int64, registration: PartyRegistration)])] = []

    init(ledger: Ledger, txn: Transaction, opener: AESGCMOpener) {
        self.ledger = ledger
        self.txn = txn
        self.opener = opener
    }

    /// The kind and country of `party`'s registration in force at `micros` (the latest whose
    /// occurredAt is not later). The parties a query has looked up are kept in a short list
    /// compared by equality (a person deals with a few dozen), before the dictionary.
    func party(_ party: String, at micros: Int64) throws -> (kind: String, country: String)? {
        var index = seenParties.firstIndex { $0.party == party }
        if index == nil {
            if registrations == nil {
                logSize = try ledger.log.size(in: txn)
                registrations = QueryPartyCache.shared.registrations(of: ledger, logSize: logSize)
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

    /// Ends the query: hands the registrations it read to the process's cache.
    func finish() {
        guard readRegistrations, let registrations else { return }
        QueryPartyCache.shared.store(registrations, of: ledger, logSize: logSize)
    }

    /// The values of `requests`, in their order; `nil` where the data key has been destroyed
    /// (erased). Records are read in sequence order, each once, in place.
    func values(_ requests: [ValueRequest]) throws -> [JSONValue?] {
        var results = [JSONValue?](repeating: nil, count: requests.count)
        // The associated data of the value being opened, built in place.
        var associatedData: [UInt8] = []
        associatedData.reserveCapacity(128)
        var order = requests.indices.map { (sequence: requests[$0].sequence, index: $0) }
        order.sort { $0.sequence < $1.sequence || ($0.sequence == $1.sequence && $0.index < $1.index) }
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
                    guard let (keyID, box) = sealed.value(at: request.item) else {
                        throw StoredEvent.Unreadable(
                            description: "record \(sequence) has no sealed value for item \(request.item)")
                    }
                    guard let key = try dataKey(keyID) else { continue }
                    if let eventID = request.eventID {
                        eventID.bytes.withUnsafeBytes { id in
                            Self.valueAssociatedData(
                                into: &associatedData, eventID: id, item: request.item, field: request.field,
                                keyID: keyID)
                        }
                    } else {
                        if recordEventID == nil {
                            var id: (UInt64, UInt64) = (0, 0)
                            guard withUnsafeMutableBytes(of: &id, { record.eventID(into: $0) }) else {
                                throw StoredEvent.Unreadable(description: "record \(sequence) has no valid event id")
                            }
                            recordEventID = id
                        }
                        withUnsafeBytes(of: recordEventID!) { id in
                            Self.valueAssociatedData(
                                into: &associatedData, eventID: id, item: request.item, field: request.field,
                                keyID: keyID)
                        }
                    }
                    results[index] = try associatedData.withUnsafeBytes { aad in
                        try opener.open(box, key: key, associatedData: aad, Self.parseValue)
                    }
                }
            }
            start = end
        }
        return results
    }

    private static let valueLabel = Array("lineage value v1".utf8) + [0]

    /// Writes a value's associated data into `out` (emptied first, its capacity kept): the bytes of
    /// ``Vault/valueAssociatedData(eventID:item:field:keyID:)``, "lineage value v1" ‖ 0x00 ‖ event id
    /// (16) ‖ item (4, big-endian) ‖ field ‖ 0x00 ‖ key id (16), without an array per part.
    static func valueAssociatedData(
        into out: inout [UInt8], eventID: UnsafeRawBufferPointer, item: Int, field: String,
        keyID: UnsafeRawBufferPointer
    ) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: valueLabel)
        out.append(contentsOf: eventID)
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: item).bigEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: field.utf8)
        out.append(0)
        out.append(contentsOf: keyID)
    }

    /// The opener's key for a data key id, unwrapping the data key on first use; `nil` when it has
    /// been destroyed.
    private func dataKey(_ bytes: UnsafeRawBufferPointer) throws -> AESGCMOpener.Key? {
        let id = KeyID(bytes)
        if let known = dataKeys[id] { return known }
        let key = try ledger.vault.dataKey(id: Array(bytes), in: txn).map { try opener.add(key: $0) }
        dataKeys[id] = .some(key)
        return key
    }

    /// A value's plaintext, its canonical JSON, as a ``JSONValue``. Most values are strings, and a
    /// canonical string without escapes is its bytes between the quotes; anything else goes to the
    /// parser.
    static func parseValue(_ plaintext: UnsafeRawBufferPointer) throws -> JSONValue {
        let count = plaintext.count
        if count >= 2, plaintext[0] == UInt8(ascii: "\""), plaintext[count - 1] == UInt8(ascii: "\"") {
            let inner = UnsafeRawBufferPointer(rebasing: plaintext[1..<(count - 1)])
            var plain = true
            var ascii = true
            for byte in inner {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                    plain = false
                    break
                }
                if byte >= 0x80 { ascii = false }
            }
            if plain {
                if ascii { return .string(String(decoding: inner, as: UTF8.self)) }
                if let text = String(validating: inner, as: UTF8.self) { return .string(text) }
            }
        }
        return try JSONParser.parse(plaintext)
    }

    /// Whether each version is current (``Projections/isSuperseded(_:by:)`` is false for it), in one
    /// pass from the newest: a version is superseded by any later version of its case or of no
    /// case, and a version of no case by any later version at all.
    static func currentFlags(_ versions: [Projections.VersionRef]) -> [Bool] {
        var current = [Bool](repeating: true, count: versions.count)
        var laterCases = Set<String>()
        var laterWithoutCase = false
        for position in versions.indices.reversed() {
            let caseID = versions[position].caseID
            if position < versions.count - 1 {
                current[position] = !(caseID.map { laterWithoutCase || laterCases.contains($0) } ?? true)
            }
            if let caseID { laterCases.insert(caseID) } else { laterWithoutCase = true }
        }
        return current
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(self.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
