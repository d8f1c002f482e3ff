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
            var reader = EventCache(ledger: self, txn: txn)
            let fields = try field.map { [$0] } ?? projections.fields(of: subject, in: txn)
            return try fields.compactMap { field in
                let versions = try projections.versions(subject: subject, field: field, in: txn)
                guard !versions.isEmpty else { return nil }
                let described = try versions.enumerated().map { position, version -> ProvenanceVersion in
                    let stored = try reader.event(version.sequence)
                    guard case .ingested(let ingestion) = stored.event.payload else {
                        throw StoredEvent.Unreadable(
                            description: "provenance points at a record that is not an ingestion")
                    }
                    let at = stored.event.envelope.occurredAt
                    return ProvenanceVersion(
                        value: try stored.value(ofItem: version.item, vault: vault, in: txn),
                        current: !Projections.isSuperseded(version, by: versions[(position + 1)...]),
                        caseID: ingestion.caseID,
                        source: ingestion.source,
                        sourceKind: try projections.party(ingestion.source, at: at.microseconds, in: txn)?.kind,
                        legalBasis: ingestion.legalBasis, purpose: ingestion.purpose,
                        sourceReference: ingestion.sourceReference, occurredAt: at.text,
                        recordedAt: stored.record.recordedAt, sequence: version.sequence,
                        eventID: stored.event.envelope.id.description)
                }
                return FieldProvenance(
                    field: field, category: Vocabulary.standard.fields[field]?.category ?? "", versions: described)
            }
        }
    }

    /// Who received data about `subject` (or its `field`), when, why, and which version.
    public func recipients(subject: String, field: String? = nil) throws -> [RecipientDisclosure] {
        try environment.read { txn in
            var reader = EventCache(ledger: self, txn: txn)
            return try projections.disclosures(subject: subject, in: txn).compactMap { entry in
                let versions = entry.versions.filter { field == nil || $0.field == field }
                guard !versions.isEmpty || (field == nil) else { return nil }
                let stored = try reader.event(entry.sequence)
                guard case .disclosed(let disclosure) = stored.event.payload else {
                    throw StoredEvent.Unreadable(
                        description: "a disclosure entry points at a record that is not a disclosure")
                }
                let at = stored.event.envelope.occurredAt
                let party = try projections.party(disclosure.recipient, at: at.microseconds, in: txn)
                return RecipientDisclosure(
                    sequence: entry.sequence, eventID: stored.event.envelope.id.description,
                    recipient: disclosure.recipient, recipientKind: party?.kind, recipientCountry: party?.country,
                    occurredAt: at.text, recordedAt: stored.record.recordedAt, legalBasis: disclosure.legalBasis,
                    purpose: disclosure.purpose, channel: disclosure.channel, caseID: disclosure.caseID,
                    safeguard: disclosure.safeguard,
                    fields: try versions.map { sent in
                        RecipientDisclosure.DisclosedField(
                            field: sent.field, versionSequence: sent.version.sequence,
                            value: try reader.event(sent.version.sequence).value(
                                ofItem: sent.version.item, vault: vault, in: txn))
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

/// Records read once per query, however many versions point at them.
private struct EventCache {
    let ledger: Ledger
    let txn: Transaction
    var events: [UInt64: StoredEvent] = [:]

    init(ledger: Ledger, txn: Transaction) {
        self.ledger = ledger
        self.txn = txn
    }

    mutating func event(_ sequence: UInt64) throws -> StoredEvent {
        if let known = events[sequence] { return known }
        guard let stored = try StoredEvent.load(sequence, from: ledger, in: txn) else {
            throw StoredEvent.Unreadable(description: "a projection points at record \(sequence), which is missing")
        }
        events[sequence] = stored
        return stored
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(self.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
