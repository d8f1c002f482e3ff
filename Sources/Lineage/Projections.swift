/// The projections: databases derived from the records, updated in the same write transaction as each
/// append (so a query never sees an event without them) and rebuildable from the records alone —
/// every entry follows from one record (``entries(of:sequence:recordedAt:resolution:identityDigest:)``).
///
/// | database | layout | key | value |
/// | --- | --- | --- | --- |
/// | `projection.parties` | B-tree | party ‖ 0x00 ‖ occurredAt (8, sortable) ‖ seq (8) | canonical JSON of the registration |
/// | `projection.provenance` | sorted runs | subject ‖ 0x00 ‖ field ‖ 0x00 ‖ seq (8) ‖ item (2) | ``ProvenanceEntry`` |
/// | `projection.disclosures` | sorted runs | subject ‖ 0x00 ‖ seq (8) | ``DisclosureEntry`` (with the versions sent) |
/// | `projection.identity` | B-tree, DUPSORT | HMAC-SHA-256(identity key, normalised code) | subject |
///
/// The two keyed by person take one entry (or more) per event at a random place in the key space, so
/// they are ``RunIndex``es: each write transaction appends one sorted run instead of rewriting a page
/// per event. Parties and identity codes are few and stay plain B-trees.
struct Projections: Sendable {
    static let partiesName = "projection.parties"
    static let provenanceName = "projection.provenance"
    static let disclosuresName = "projection.disclosures"
    static let identityName = "projection.identity"
    static let specs: [(name: String, flags: DatabaseFlags)] = [
        (partiesName, []), (provenanceName, []), (disclosuresName, []), (identityName, [.duplicateSort]),
    ]

    let parties: Database
    /// The registrations committed transactions have read, for the next ones.
    let committedParties = CommittedPartyRegistrations()
    let provenance: RunIndex
    let disclosures: RunIndex
    let identity: Database

    init(parties: Database, provenance: Database, disclosures: Database, identity: Database) {
        self.parties = parties
        // Filters on the subject and on subject and field: a disclosure's lookup of the version it
        // sends seeks only the runs holding that field of that person. Eight runs merge at a time:
        // half the rewriting of four, while a person's scan still seeks only runs holding them.
        self.provenance = RunIndex(database: provenance, scope: .zeroTerminatedParts(2), fanIn: 8)
        self.disclosures = RunIndex(database: disclosures, scope: .throughFirstZero, fanIn: 8)
        self.identity = identity
    }

    var all: [Database] { [parties, provenance.database, disclosures.database, identity] }

    /// A version of a field: the ingestion's sequence number and the item's index in it.
    struct VersionRef: Equatable, Sendable {
        let sequence: UInt64
        let item: Int
        let caseID: String?
    }

    // MARK: Keys

    /// Signed microseconds as 8 bytes whose byte order is numeric order.
    static func sortable(_ micros: Int64) -> [UInt8] { BigEndian.bytes(UInt64(bitPattern: micros) ^ (1 << 63)) }

    /// Each part's UTF-8 followed by 0x00. Built into one array of the exact size: the write path
    /// makes one or two per disclosed field, and a `flatMap` of arrays cost about 2,600 instructions
    /// each.
    static func prefix(_ parts: String..., reserving extra: Int = 0) -> [UInt8] {
        var count = extra
        for part in parts { count += part.utf8.count + 1 }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for part in parts {
            out.append(contentsOf: part.utf8)
            out.append(0)
        }
        return out
    }

    static func itemBytes(_ index: Int) -> [UInt8] { [UInt8(index >> 8), UInt8(index & 0xff)] }

    // MARK: What a record gives rise to

    /// The projection a derived entry belongs to.
    enum Target: CaseIterable, Sendable {
        case parties, provenance, disclosures, identity
    }

    /// One entry an event gives rise to.
    struct Entry: Sendable {
        let target: Target
        let key: [UInt8]
        let value: [UInt8]
    }

    /// Every projection entry of one event, recorded at `recordedAt` under `sequence`, from the event,
    /// its sealed values (an ingestion's, in item order) and what its record resolved alone.
    /// `identityDigest` gives the index key of a `personal_identity_code` item (nil when the value
    /// cannot be opened: it then stays out of the index).
    static func entries(
        of event: DomainEvent, sequence: UInt64, recordedAt: Int64, sealed: [SealedValue], resolution: Resolution,
        identityDigest: (Int) throws -> Digest?
    ) throws -> [Entry] {
        let envelope = event.envelope
        let subject = envelope.subject ?? ""
        switch event.payload {
        case .partyRegistered(let registration):
            let key =
                prefix(registration.party) + sortable(envelope.occurredAt.microseconds) + BigEndian.bytes(sequence)
            return [Entry(target: .parties, key: key, value: encode(registration))]
        case .ingested(let ingestion):
            // Item i's value is the i-th of the sealed section (the stored form says so).
            guard sealed.count == ingestion.items.count else {
                throw StoredEvent.Unreadable(
                    description:
                        "record \(sequence) has \(sealed.count) sealed values for \(ingestion.items.count) items")
            }
            let eventFields = ProvenanceEntry.eventFields(
                caseID: ingestion.caseID, source: ingestion.source, legalBasis: ingestion.legalBasis,
                purpose: ingestion.purpose, sourceReference: ingestion.sourceReference,
                occurredAt: envelope.occurredAt.text, occurredMicros: envelope.occurredAt.microseconds,
                recordedAt: recordedAt, eventID: envelope.id)
            var entries: [Entry] = []
            entries.reserveCapacity(ingestion.items.count)
            for (index, item) in ingestion.items.enumerated() {
                var value = EntryWriter(
                    startingWith: eventFields,
                    capacity: eventFields.bytes.count + ProvenanceEntry.appendedCount(sealed[index]))
                ProvenanceEntry.append(sealed[index], to: &value)
                var key: [UInt8] = []
                key.reserveCapacity(subject.utf8.count + item.field.utf8.count + 12)
                key.append(contentsOf: subject.utf8)
                key.append(0)
                key.append(contentsOf: item.field.utf8)
                key.append(0)
                BigEndian.append(sequence, to: &key)
                withUnsafeBytes(of: UInt16(index).bigEndian) { key.append(contentsOf: $0) }
                entries.append(Entry(target: .provenance, key: key, value: value.bytes))
                if Vocabulary.standard.fields[item.field]?.type == .personalIdentityCode,
                    let digest = try identityDigest(index)
                {
                    entries.append(Entry(target: .identity, key: digest.bytes, value: Array(subject.utf8)))
                }
            }
            return entries
        case .disclosed(let disclosure):
            let versions = zip(disclosure.fields, resolution.versions).map { field, version in
                DisclosureEntry.SentVersion(field: field, sequence: version.sequence, item: version.item)
            }
            let value = DisclosureEntry.encode(
                caseID: disclosure.caseID, recipient: disclosure.recipient, legalBasis: disclosure.legalBasis,
                purpose: disclosure.purpose, channel: disclosure.channel, safeguard: disclosure.safeguard,
                occurredAt: envelope.occurredAt.text, occurredMicros: envelope.occurredAt.microseconds,
                recordedAt: recordedAt, eventID: envelope.id, versions: versions
            )
            var key = prefix(subject, reserving: 8)
            BigEndian.append(sequence, to: &key)
            return [Entry(target: .disclosures, key: key, value: value)]
        case .caseOpened, .caseClosed:
            return []
        }
    }

    /// Stores derived entries in `txn`: the run-indexed ones through the transaction's writers (one
    /// run each when it commits), the others as B-tree puts.
    func store(_ entries: [Entry], in txn: Transaction) throws {
        for entry in entries {
            switch entry.target {
            case .parties: try txn.put(parties, key: entry.key, value: entry.value)
            case .identity: try txn.put(identity, key: entry.key, value: entry.value)
            case .provenance: try provenance.writer(in: txn).put(entry.key, entry.value)
            case .disclosures: try disclosures.writer(in: txn).put(entry.key, entry.value)
            }
        }
    }

    /// Empties every projection (a rebuild's first step).
    func empty(in txn: Transaction) throws {
        try txn.empty(parties)
        try txn.empty(identity)
        try provenance.empty(in: txn)
        try disclosures.empty(in: txn)
    }

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
                guard current.key.count == prefix.count + 16,
                    let sortable = BigEndian.uint64(current.key, at: prefix.count),
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

    /// Every version of a subject's field, oldest first (the write path needs the case id alone: the
    /// entries are not decoded). In a write transaction this includes its own puts.
    func versions(subject: String, field: String, in txn: Transaction) throws -> [VersionRef] {
        let prefix = Self.prefix(subject, field)
        return try provenance.view(in: txn).entries(withPrefix: prefix).compactMap { stored in
            guard stored.key.count == prefix.count + 10 else { return nil }
            return try Self.version(stored, prefixLength: prefix.count)
        }
    }

    /// A subject's provenance entries as one scan finds them: fields in name order, each field's
    /// versions oldest first, in one flat list (no array per field), and where each field's run of
    /// it begins and ends.
    struct SubjectEntries {
        var entries: [(version: VersionRef, entry: ProvenanceEntry)] = []
        var fields: [(field: String, range: Range<Int>)] = []
    }

    /// Every version of every field of a subject (or of `field` alone, from its own prefix), with
    /// their entries: one scan of the subject's entries, each read in place and copied once.
    func subjectEntries(of subject: String, field: String? = nil, in txn: Transaction) throws -> SubjectEntries {
        let prefix = field.map { Self.prefix(subject, $0) } ?? Self.prefix(subject)
        var found = SubjectEntries()
        var lastField: [UInt8] = []
        try provenance.view(in: txn).forEachEntry(withPrefix: prefix, reverse: false) { key, value in
            let rest = UnsafeRawBufferPointer(rebasing: key[prefix.count...])
            // With a field, the key ends in sequence ‖ item; without, in field ‖ 0x00 ‖ sequence ‖ item.
            let fieldEnd: Int
            if field == nil {
                guard let end = rest.firstIndex(of: 0), rest.count == end + 11 else { return true }
                fieldEnd = end
            } else {
                guard rest.count == 10 else { return true }
                fieldEnd = -1
            }
            let sequence = Self.uint64(rest, at: fieldEnd + 1)
            let item = Int(rest[fieldEnd + 9]) << 8 | Int(rest[fieldEnd + 10])
            guard let entry = ProvenanceEntry(decoding: Array(value)) else {
                throw StoredEvent.Unreadable(description: "a provenance entry of record \(sequence) is malformed")
            }
            if let field {
                if found.fields.isEmpty { found.fields.append((field, 0..<0)) }
            } else {
                let fieldBytes = UnsafeRawBufferPointer(rebasing: rest[..<fieldEnd])
                if found.fields.isEmpty || lastField.withUnsafeBytes({ compareBytes($0, fieldBytes) != 0 }) {
                    lastField = Array(fieldBytes)
                    let start = found.entries.count
                    found.fields.append((String(decoding: fieldBytes, as: UTF8.self), start..<start))
                }
            }
            found.entries.append((VersionRef(sequence: sequence, item: item, caseID: entry.caseID), entry))
            found.fields[found.fields.count - 1].range =
                found.fields[found.fields.count - 1].range.lowerBound..<found.entries.count
            return true
        }
        return found
    }

    private static func version(_ stored: RunEntry, prefixLength: Int) throws -> VersionRef {
        let sequence = BigEndian.uint64(stored.key, at: prefixLength)!
        let item = Int(stored.key[prefixLength + 8]) << 8 | Int(stored.key[prefixLength + 9])
        guard case .some(let caseID) = ProvenanceEntry.caseID(in: stored.value) else {
            throw StoredEvent.Unreadable(description: "a provenance entry of record \(sequence) is malformed")
        }
        return VersionRef(sequence: sequence, item: item, caseID: caseID)
    }

    /// Whether a later version replaces `version`. The latest received value is current; versions of
    /// different cases (two claims' amounts) stand side by side, while a version for no case (the
    /// population register's address) replaces every earlier one and is replaced by any later one.
    static func isSuperseded(_ version: VersionRef, by later: ArraySlice<VersionRef>) -> Bool {
        later.contains { $0.caseID == version.caseID || $0.caseID == nil || version.caseID == nil }
    }

    /// What decides the version a disclosure sends, from one look at a field's versions: the newest
    /// received for the disclosure's case or for no case (`matching`), and the newest of all
    /// (`latest`). Looks at two sets of versions — a snapshot's, and what was added since — combine by
    /// taking the newer of each.
    struct VersionCandidates: Sendable, Equatable {
        var matching: VersionRef?
        var latest: VersionRef?

        static let none = VersionCandidates(matching: nil, latest: nil)

        /// The version sent: the newest matching one, else the newest of all.
        var sent: VersionRef? { matching ?? latest }

        func combined(with other: VersionCandidates) -> VersionCandidates {
            func newer(_ a: VersionRef?, _ b: VersionRef?) -> VersionRef? {
                guard let a else { return b }
                guard let b else { return a }
                return (a.sequence, a.item) >= (b.sequence, b.item) ? a : b
            }
            return VersionCandidates(matching: newer(matching, other.matching), latest: newer(latest, other.latest))
        }
    }

    /// The version a disclosure in `caseID` sends: the latest received for that case or for no case,
    /// else the latest of all; nil when the subject has no value for the field. In a write
    /// transaction this sees the versions it has added itself.
    func currentVersion(subject: String, field: String, caseID: String?, in txn: Transaction) throws -> VersionRef? {
        try versionCandidates(subject: subject, field: field, caseID: caseID, in: txn).sent
    }

    /// The candidates among a field's versions (with `newerThan`, only those stored since the snapshot
    /// whose ``RunIndex/recencyFloor(in:)`` it is, and a write transaction's own). Walks back from the
    /// newest version and stops at the first that matches, so the cost is the few versions after the
    /// one sent, not the field's whole history.
    func versionCandidates(
        subject: String, field: String, caseID: String?, in txn: Transaction, newerThan floor: UInt64? = nil
    ) throws -> VersionCandidates {
        let prefix = Self.prefix(subject, field)
        let wanted = caseID.map { Array($0.utf8) }
        var candidates = VersionCandidates.none
        // A field's provenance keys end in the sequence number, which only grows: the newest runs
        // hold the newest versions, and the scan stops in the first run that holds the one wanted.
        try provenance.view(in: txn).forEachEntryNewestFirst(growingWithRecency: prefix, newerThan: floor) {
            key, value in
            guard key.count == prefix.count + 10 else { return true }
            guard let entryCase = Self.caseID(inProvenanceEntry: value) else {
                throw StoredEvent.Unreadable(description: "a provenance entry is malformed")
            }
            let matches =
                switch (entryCase, wanted) {
                case (nil, _): true
                case (.some(let stored), .some(let wanted)): wanted.withUnsafeBytes { compareBytes($0, stored) == 0 }
                case (.some, nil): false
                }
            guard matches || candidates.latest == nil else { return true }
            let version = VersionRef(
                sequence: Self.uint64(key, at: prefix.count),
                item: Int(key[prefix.count + 8]) << 8 | Int(key[prefix.count + 9]),
                caseID: entryCase.map { String(decoding: $0, as: UTF8.self) })
            if candidates.latest == nil { candidates.latest = version }
            if matches {
                candidates.matching = version
                return false
            }
            return true
        }
        return candidates
    }

    /// The case id at the start of a provenance entry (its first field: a 2-byte length, or 0xffff
    /// for none, and the bytes), lent in place: `.some(nil)` for none, nil when malformed.
    private static func caseID(inProvenanceEntry value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer?? {
        guard value.count >= 2 else { return nil }
        let length = Int(value[0]) << 8 | Int(value[1])
        if length == 0xffff { return .some(nil) }
        guard value.count >= 2 + length else { return nil }
        return .some(UnsafeRawBufferPointer(rebasing: value[2..<(2 + length)]))
    }

    private static func uint64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<(offset + 8) { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    /// A subject's disclosures, oldest first: sequence number and entry.
    func disclosures(subject: String, in txn: Transaction) throws -> [(sequence: UInt64, entry: DisclosureEntry)] {
        let prefix = Self.prefix(subject)
        return try disclosures.view(in: txn).entries(withPrefix: prefix).compactMap { stored in
            guard stored.key.count == prefix.count + 8 else { return nil }
            let sequence = BigEndian.uint64(stored.key, at: prefix.count)!
            guard let decoded = DisclosureEntry(decoding: stored.value) else {
                throw StoredEvent.Unreadable(description: "the disclosure entry of record \(sequence) is malformed")
            }
            return (sequence, decoded)
        }
    }

    /// The fields a subject has versions of, in name order.
    func fields(of subject: String, in txn: Transaction) throws -> [String] {
        let prefix = Self.prefix(subject)
        var fields: [String] = []
        var last: ArraySlice<UInt8> = []
        for stored in try provenance.view(in: txn).entries(withPrefix: prefix) {
            let rest = stored.key[prefix.count...]
            guard let end = rest.firstIndex(of: 0) else { continue }
            let field = rest[..<end]
            if field != last {
                fields.append(String(decoding: field, as: UTF8.self))
                last = field
            }
        }
        return fields
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
