/// The projections: databases derived from the events, updated in the same write transaction as each
/// append (so a query never sees an event without them) and rebuildable from the records.
///
/// | database | key | value |
/// | --- | --- | --- |
/// | `projection.parties` | party ‖ 0x00 ‖ occurredAt (8, sortable) ‖ seq (8) | canonical JSON of the registration |
/// | `projection.provenance` | subject ‖ 0x00 ‖ field ‖ 0x00 ‖ seq (8) ‖ item (2) | ``ProvenanceEntry`` |
/// | `projection.disclosures` | subject ‖ 0x00 ‖ seq (8) | ``DisclosureEntry`` (with the versions sent) |
/// | `projection.identity` | HMAC-SHA-256(identity key, normalised code) (DUPSORT) | subject |
struct Projections: Sendable {
    static let partiesName = "projection.parties"
    static let provenanceName = "projection.provenance"
    static let disclosuresName = "projection.disclosures"
    static let identityName = "projection.identity"
    static let specs: [(name: String, flags: DatabaseFlags)] = [
        (partiesName, []), (provenanceName, []), (disclosuresName, []), (identityName, [.duplicateSort]),
    ]

    let parties: Database
    let provenance: Database
    let disclosures: Database
    let identity: Database

    var all: [Database] { [parties, provenance, disclosures, identity] }

    /// A version of a field: the ingestion's sequence number and the item's index in it.
    struct VersionRef: Equatable, Sendable {
        let sequence: UInt64
        let item: Int
        let caseID: String?
    }

    // MARK: Keys

    /// Signed microseconds as 8 bytes whose byte order is numeric order.
    static func sortable(_ micros: Int64) -> [UInt8] { BigEndian.bytes(UInt64(bitPattern: micros) ^ (1 << 63)) }

    static func prefix(_ parts: String...) -> [UInt8] { parts.flatMap { Array($0.utf8) + [0] } }

    // MARK: Updating

    /// Applies one event, recorded at `recordedAt`. `identityDigest` gives the index key of a
    /// `personal_identity_code` item (nil when the value cannot be opened: it then stays out of the
    /// index).
    /// `sentVersions`, when given, are a disclosure's versions as the state rules resolved them in this
    /// transaction (one per field, in order); otherwise they are looked up.
    func apply(
        _ event: DomainEvent, sequence: UInt64, recordedAt: Int64, in txn: Transaction,
        sentVersions: [VersionRef]? = nil, identityDigest: (Int) throws -> Digest?
    ) throws {
        let envelope = event.envelope
        let subject = envelope.subject ?? ""
        switch event.payload {
        case .partyRegistered(let registration):
            let key =
                Self.prefix(registration.party) + Self.sortable(event.envelope.occurredAt.microseconds)
                + BigEndian.bytes(sequence)
            try txn.put(parties, key: key, value: Self.encode(registration))
        case .ingested(let ingestion):
            let entry = ProvenanceEntry(
                caseID: ingestion.caseID, source: ingestion.source, legalBasis: ingestion.legalBasis,
                purpose: ingestion.purpose, sourceReference: ingestion.sourceReference,
                occurredAt: envelope.occurredAt.text, occurredMicros: envelope.occurredAt.microseconds,
                recordedAt: recordedAt, eventID: envelope.id
            ).encoded()
            for (index, item) in ingestion.items.enumerated() {
                let key = Self.prefix(subject, item.field) + BigEndian.bytes(sequence) + Self.itemBytes(index)
                try txn.put(provenance, key: key, value: entry)
                if Vocabulary.standard.fields[item.field]?.type == .personalIdentityCode,
                    let digest = try identityDigest(index)
                {
                    try txn.put(identity, key: digest.bytes, value: Array(subject.utf8))
                }
            }
        case .disclosed(let disclosure):
            var versions: [DisclosureEntry.SentVersion] = []
            for (index, field) in disclosure.fields.enumerated() {
                let given = sentVersions.flatMap { index < $0.count ? $0[index] : nil }
                let resolved =
                    try given ?? currentVersion(subject: subject, field: field, caseID: disclosure.caseID, in: txn)
                guard let version = resolved else { continue }
                versions.append(DisclosureEntry.SentVersion(field: field, sequence: version.sequence, item: version.item))
            }
            let entry = DisclosureEntry(
                caseID: disclosure.caseID, recipient: disclosure.recipient, legalBasis: disclosure.legalBasis,
                purpose: disclosure.purpose, channel: disclosure.channel, safeguard: disclosure.safeguard,
                occurredAt: envelope.occurredAt.text, occurredMicros: envelope.occurredAt.microseconds,
                recordedAt: recordedAt, eventID: envelope.id, versions: versions)
            try txn.put(disclosures, key: Self.prefix(subject) + BigEndian.bytes(sequence), value: entry.encoded())
        case .caseOpened, .caseClosed:
            break
        }
    }

    static func itemBytes(_ index: Int) -> [UInt8] { [UInt8(index >> 8), UInt8(index & 0xff)] }

    static func encode(_ registration: PartyRegistration) -> [UInt8] {
        CanonicalJSON.encode(
            .object(
                JSONObject([
                    ("kind", .string(registration.kind)), ("name", .string(registration.name)),
                    ("country", .string(registration.country)),
                    ("certifications", .array(registration.certifications.map(JSONValue.string))),
                ])!))
    }

    // MARK: Reading

    /// The registration of `party` in force at `micros`: the latest whose occurredAt is not later.
    func party(_ party: String, at micros: Int64, in txn: Transaction) throws -> PartyRegistration? {
        try registrations(of: party, in: txn).last { $0.micros <= micros }?.registration
    }

    /// Every registration of `party`, oldest first, with the time it takes effect.
    func registrations(of party: String, in txn: Transaction) throws -> [(
        micros: Int64, registration: PartyRegistration
    )] {
        let prefix = Self.prefix(party)
        return try txn.withCursor(parties) { cursor in
            var found: [(Int64, PartyRegistration)] = []
            var entry = try cursor.seek(atLeast: prefix)
            while let current = entry, current.key.starts(with: prefix) {
                entry = try cursor.next()
                guard current.key.count == prefix.count + 16, let sortable = BigEndian.uint64(current.key, at: prefix.count),
                    case .object(let object) = try? JSONParser.parse(current.value),
                    case .string(let kind) = object["kind"], case .string(let name) = object["name"],
                    case .string(let country) = object["country"], case .array(let certs) = object["certifications"]
                else { continue }
                let micros = Int64(bitPattern: sortable ^ (1 << 63))
                found.append(
                    (
                        micros,
                        PartyRegistration(
                            party: party, kind: kind, name: name, country: country,
                            certifications: certs.compactMap { if case .string(let text) = $0 { text } else { nil } })
                    ))
            }
            return found
        }
    }

    /// Every version of a subject's field, oldest first.
    func versions(subject: String, field: String, in txn: Transaction) throws -> [VersionRef] {
        try entries(subject: subject, field: field, in: txn, decodingEntries: false).map(\.version)
    }

    /// Every version of a subject's field, oldest first, with its entry (decoded only when asked for:
    /// the write path needs the case id alone).
    func entries(subject: String, field: String, in txn: Transaction, decodingEntries: Bool = true) throws -> [(
        version: VersionRef, entry: ProvenanceEntry?
    )] {
        let prefix = Self.prefix(subject, field)
        return try txn.withCursor(provenance) { cursor in
            var found: [(VersionRef, ProvenanceEntry?)] = []
            var entry = try cursor.seek(atLeast: prefix)
            while let current = entry, current.key.starts(with: prefix), current.key.count == prefix.count + 10 {
                let sequence = BigEndian.uint64(current.key, at: prefix.count)!
                let item = Int(current.key[prefix.count + 8]) << 8 | Int(current.key[prefix.count + 9])
                guard case .some(let caseID) = ProvenanceEntry.caseID(in: current.value) else {
                    throw StoredEvent.Unreadable(description: "a provenance entry of record \(sequence) is malformed")
                }
                let decoded = decodingEntries ? ProvenanceEntry(decoding: current.value) : nil
                if decodingEntries && decoded == nil {
                    throw StoredEvent.Unreadable(description: "a provenance entry of record \(sequence) is malformed")
                }
                found.append((VersionRef(sequence: sequence, item: item, caseID: caseID), decoded))
                entry = try cursor.next()
            }
            return found
        }
    }

    /// Whether a later version replaces `version`. The latest received value is current; versions of
    /// different cases (two claims' amounts) stand side by side, while a version for no case (the
    /// population register's address) replaces every earlier one and is replaced by any later one.
    static func isSuperseded(_ version: VersionRef, by later: ArraySlice<VersionRef>) -> Bool {
        later.contains { $0.caseID == version.caseID || $0.caseID == nil || version.caseID == nil }
    }

    /// The version a disclosure in `caseID` sends: the latest received for that case or for no case,
    /// else the latest of all; nil when the subject has no value for the field. Walks back from the
    /// newest version, so the cost is the few versions after the one sent, not the field's whole
    /// history (a person with thousands of events would otherwise make every disclosure scan them all).
    func currentVersion(subject: String, field: String, caseID: String?, in txn: Transaction) throws -> VersionRef? {
        let prefix = Self.prefix(subject, field)
        return try txn.withCursor(provenance) { cursor in
            let bound = prefix + [UInt8](repeating: 0xff, count: 10)
            var entry = try cursor.seek(atLeast: bound) != nil ? try cursor.previous() : try cursor.last()
            var latest: VersionRef?
            while let current = entry, current.key.starts(with: prefix) {
                entry = try cursor.previous()
                guard current.key.count == prefix.count + 10 else { continue }
                guard case .some(let entryCase) = ProvenanceEntry.caseID(in: current.value) else {
                    throw StoredEvent.Unreadable(description: "a provenance entry is malformed")
                }
                let sequence = BigEndian.uint64(current.key, at: prefix.count)!
                let item = Int(current.key[prefix.count + 8]) << 8 | Int(current.key[prefix.count + 9])
                let version = VersionRef(sequence: sequence, item: item, caseID: entryCase)
                if latest == nil { latest = version }
                if entryCase == caseID || entryCase == nil { return version }
            }
            return latest
        }
    }

    /// A subject's disclosures, oldest first: sequence number and entry.
    func disclosures(subject: String, in txn: Transaction) throws -> [(sequence: UInt64, entry: DisclosureEntry)] {
        let prefix = Self.prefix(subject)
        return try txn.withCursor(disclosures) { cursor in
            var found: [(UInt64, DisclosureEntry)] = []
            var entry = try cursor.seek(atLeast: prefix)
            while let current = entry, current.key.starts(with: prefix), current.key.count == prefix.count + 8 {
                let sequence = BigEndian.uint64(current.key, at: prefix.count)!
                guard let decoded = DisclosureEntry(decoding: current.value) else {
                    throw StoredEvent.Unreadable(description: "the disclosure entry of record \(sequence) is malformed")
                }
                found.append((sequence, decoded))
                entry = try cursor.next()
            }
            return found
        }
    }

    /// The fields a subject has versions of, in name order.
    func fields(of subject: String, in txn: Transaction) throws -> [String] {
        let prefix = Self.prefix(subject)
        return try txn.withCursor(provenance) { cursor in
            var fields: [String] = []
            var entry = try cursor.seek(atLeast: prefix)
            while let current = entry, current.key.starts(with: prefix) {
                let rest = current.key.dropFirst(prefix.count)
                guard let end = rest.firstIndex(of: 0) else { break }
                let field = Array(rest[..<end])
                fields.append(String(decoding: field, as: UTF8.self))
                // Skip to the next field: past every key starting with subject ‖ 0 ‖ field ‖ 0.
                entry = try cursor.seek(atLeast: prefix + field + [1])
            }
            return fields
        }
    }

    /// The subjects indexed under an identity digest.
    func subjects(for digest: Digest, in txn: Transaction) throws -> [String] {
        try txn.withCursor(identity) { cursor in
            var subjects: [String] = []
            var entry = try cursor.seek(atLeast: digest.bytes)
            while let current = entry, current.key == digest.bytes {
                subjects.append(String(decoding: current.value, as: UTF8.self))
                entry = try cursor.next()
            }
            return subjects
        }
    }
}
