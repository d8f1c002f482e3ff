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
            var query = QueryContext(ledger: self, txn: txn)
            let fields = try field.map { [$0] } ?? projections.fields(of: subject, in: txn)
            return try fields.compactMap { field in
                let entries = try projections.entries(subject: subject, field: field, in: txn)
                guard !entries.isEmpty else { return nil }
                let versions = entries.map(\.version)
                let described = try entries.enumerated().map { position, found -> ProvenanceVersion in
                    guard let entry = found.entry else {
                        throw StoredEvent.Unreadable(description: "a provenance entry could not be read")
                    }
                    return ProvenanceVersion(
                        value: try query.value(
                            sequence: found.version.sequence, item: found.version.item, field: field,
                            eventID: entry.eventID),
                        current: !Projections.isSuperseded(found.version, by: versions[(position + 1)...]),
                        caseID: entry.caseID, source: entry.source,
                        sourceKind: try query.party(entry.source, at: entry.occurredMicros)?.kind,
                        legalBasis: entry.legalBasis, purpose: entry.purpose,
                        sourceReference: entry.sourceReference, occurredAt: entry.occurredAt,
                        recordedAt: entry.recordedAt, sequence: found.version.sequence,
                        eventID: entry.eventID.description)
                }
                return FieldProvenance(
                    field: field, category: Vocabulary.standard.fields[field]?.category ?? "", versions: described)
            }
        }
    }

    /// Who received data about `subject` (or its `field`), when, why, and which version.
    public func recipients(subject: String, field: String? = nil) throws -> [RecipientDisclosure] {
        try environment.read { txn in
            var query = QueryContext(ledger: self, txn: txn)
            return try projections.disclosures(subject: subject, in: txn).compactMap { sequence, entry in
                let versions = entry.versions.filter { field == nil || $0.field == field }
                guard !versions.isEmpty || (field == nil) else { return nil }
                let party = try query.party(entry.recipient, at: entry.occurredMicros)
                return RecipientDisclosure(
                    sequence: sequence, eventID: entry.eventID.description,
                    recipient: entry.recipient, recipientKind: party?.kind, recipientCountry: party?.country,
                    occurredAt: entry.occurredAt, recordedAt: entry.recordedAt, legalBasis: entry.legalBasis,
                    purpose: entry.purpose, channel: entry.channel, caseID: entry.caseID,
                    safeguard: entry.safeguard,
                    fields: try versions.map { sent in
                        RecipientDisclosure.DisclosedField(
                            field: sent.field, versionSequence: sent.sequence,
                            value: try query.value(subject: subject, sent: sent))
                    })
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

/// What one query reads more than once: the sealed sections of records, the data keys (unwrapped
/// once per key, not per value) and party registrations. Values are opened from the records' binary
/// sealed sections; no record's JSON is parsed on the query path.
private struct QueryContext {
    let ledger: Ledger
    let txn: Transaction
    private var sealedSections: [UInt64: [SealedValue]] = [:]
    private var dataKeys: [[UInt8]: [UInt8]?] = [:]
    private var parties = PartyCache()

    init(ledger: Ledger, txn: Transaction) {
        self.ledger = ledger
        self.txn = txn
    }

    mutating func party(_ party: String, at micros: Int64) throws -> PartyRegistration? {
        try parties.party(party, at: micros, projections: ledger.projections, in: txn)
    }

    /// The value of item `item` of the ingestion at `sequence`, or `nil` when its data key has been
    /// destroyed (erased). The item's box is the item-th of the record's sealed section.
    mutating func value(sequence: UInt64, item: Int, field: String, eventID: EventID) throws -> JSONValue? {
        let sealed = try sealedSection(sequence)
        guard item < sealed.count else {
            throw StoredEvent.Unreadable(description: "record \(sequence) has no sealed value for item \(item)")
        }
        let box = sealed[item]
        guard let key = try dataKey(box.keyID) else { return nil }
        let plaintext = try AESGCM.open(
            box.box, key: key,
            associatedData: Vault.valueAssociatedData(eventID: eventID, item: item, field: field, keyID: box.keyID))
        return try JSONParser.parse(plaintext)
    }

    /// The value a disclosure sent, found through its version's provenance entry (for the event id the
    /// box is bound to).
    mutating func value(subject: String, sent: DisclosureEntry.SentVersion) throws -> JSONValue? {
        let key =
            Projections.prefix(subject, sent.field) + BigEndian.bytes(sent.sequence) + Projections.itemBytes(sent.item)
        guard let bytes = try ledger.projections.provenance.reader(in: txn).get(key),
            let entry = ProvenanceEntry(decoding: bytes)
        else {
            throw StoredEvent.Unreadable(
                description: "a disclosure points at version \(sent.sequence)/\(sent.item), which has no provenance entry")
        }
        return try value(sequence: sent.sequence, item: sent.item, field: sent.field, eventID: entry.eventID)
    }

    private mutating func sealedSection(_ sequence: UInt64) throws -> [SealedValue] {
        if let known = sealedSections[sequence] { return known }
        guard let bytes = try ledger.log.record(at: sequence, in: txn) else {
            throw StoredEvent.Unreadable(description: "a projection points at record \(sequence), which is missing")
        }
        guard let record = EventRecord(decoding: bytes), let sealed = SealedValue.decode(record.sealed) else {
            throw StoredEvent.Unreadable(description: "record \(sequence) has a malformed sealed section")
        }
        sealedSections[sequence] = sealed
        return sealed
    }

    private mutating func dataKey(_ keyID: [UInt8]) throws -> [UInt8]? {
        if let known = dataKeys[keyID] { return known }
        let key = try ledger.vault.dataKey(id: keyID, in: txn)
        dataKeys[keyID] = key
        return key
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(self.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
