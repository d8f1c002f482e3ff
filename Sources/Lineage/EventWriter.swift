/// The per-event step of the write transaction: idempotency, the rules that depend on the ledger's
/// state, sealing, the append itself, and the projections. One writer serves one transaction.
struct EventWriter {
    let ledger: Ledger
    let txn: Transaction
    let appender: LogAppender
    let recordedAt: Int64
    private let idempotency: RunIndexWriter
    /// The ledger's projections and vault, copied once: reading them through `ledger` copies the
    /// struct, a retain and a release of each of its references, at every use.
    private let projections: Projections
    private let vault: Vault
    private var dataKeys: [BytesKey: (id: [UInt8], key: [UInt8])] = [:]
    private var parties: PartyCache
    /// How many registrations `projection.parties` held when the transaction began.
    private let partyCount: Int
    /// Values are sealed through one cipher context per data key, keyed once per transaction.
    private let sealer: AESGCMSealer
    private var sealerKeys: [BytesKey: AESGCMSealer.Key] = [:]
    /// The key-encryption key in `sealer`, which wraps the data keys the transaction creates.
    private let keyEncryptionKey: AESGCMSealer.Key
    private var sentVersions: [Projections.VersionRef] = []
    /// The vault's generation as this transaction sees it, for the process's cache of data keys.
    private let vaultGeneration: UInt64

    init(ledger: Ledger, txn: Transaction, appender: LogAppender, recordedAt: Int64, sealer: AESGCMSealer) throws {
        self.ledger = ledger
        self.txn = txn
        self.appender = appender
        self.recordedAt = recordedAt
        self.sealer = sealer
        projections = ledger.projections
        vault = ledger.vault
        keyEncryptionKey = try sealer.add(key: ledger.vault.keyEncryptionKey)
        idempotency = try ledger.idempotency.writer(in: txn)
        vaultGeneration = try ledger.vault.generation(in: txn)
        partyCount = try txn.statistics(ledger.projections.parties).entries
        parties = PartyCache(committed: ledger.projections.committedParties.registrations(atCount: partyCount))
    }

    /// Leaves the registrations this writer read for the process's next transactions, once the
    /// transaction has committed (only then is what it read committed), and only when nothing in it
    /// registered a party (by this writer or an earlier one in the same transaction: the count has
    /// not moved), so that the count it began at names what it read.
    func keepPartyRegistrations() throws {
        guard try txn.statistics(ledger.projections.parties).entries == partyCount else { return }
        let (read, count, committed) = (parties, partyCount, ledger.projections.committedParties)
        txn.afterCommit { committed.keep(read, atCount: count) }
    }

    mutating func write(_ prepared: PreparedEvent) throws -> Outcome {
        // Read in place throughout: a copy of the event (or of its hints) costs a retain and a
        // release of each of its strings and arrays.
        // A hinted id is known from the snapshot; else only what was stored since needs a look.
        let known =
            try prepared.hints?.knownSequence.map { BigEndian.bytes($0) }
            ?? idempotency.get(prepared.event.envelope.id.bytes, newerThan: prepared.hints?.floors.idempotency)
        if let stored = known {
            let sequence = BigEndian.uint64(stored) ?? 0
            if try ledger.record(at: sequence, holds: prepared, in: txn) { return .duplicate(sequence) }
            return .rejected(
                Rejection(
                    id: prepared.event.envelope.id.description, field: "id", rule: .idConflict,
                    message: "id was already recorded, as sequence number \(sequence), with other content"))
        }
        if var rejection = try StateRules(projections: projections, txn: txn).check(
            prepared.event, parties: &parties, sentVersions: &sentVersions, hints: prepared.hints)
        {
            rejection.id = prepared.event.envelope.id.description
            return .rejected(rejection)
        }
        let sequence = appender.size
        let resolution =
            if case .disclosed = prepared.event.payload {
                Resolution(versions: sentVersions.map { Resolution.Version(sequence: $0.sequence, item: $0.item) })
            } else {
                Resolution(versions: [])
            }
        let sealed = try seal(prepared, sequence: sequence)
        let record = EventRecord(
            recordedAt: recordedAt, canonicalEvent: prepared.storedCanonical, sealed: SealedValue.encode(sealed),
            resolution: resolution.encoded())
        try appender.append(record.encoded())
        idempotency.put(prepared.event.envelope.id.bytes, BigEndian.bytes(sequence))
        let entries = try Projections.entries(
            of: prepared.event, sequence: sequence, recordedAt: recordedAt, sealed: sealed, resolution: resolution
        ) { prepared.identityDigests[$0] }
        try projections.store(entries, in: txn)
        if case .partyRegistered(let registration) = prepared.event.payload { parties.forget(registration.party) }
        return .appended(sequence)
    }

    /// Each ingested value sealed under its erasure unit's data key, bound to the event id, the item
    /// and the key.
    private mutating func seal(_ prepared: PreparedEvent, sequence: UInt64) throws -> [SealedValue] {
        guard case .ingested(let ingestion) = prepared.event.payload, let subject = prepared.event.envelope.subject
        else { return [] }
        var sealed: [SealedValue] = []
        sealed.reserveCapacity(ingestion.items.count)
        // Values the producer sealed under keys the snapshot had stand while no key has been
        // destroyed since (the vault's generation); the others are sealed here.
        let hintsHold = prepared.hints?.floors.vaultGeneration == vaultGeneration
        for (index, item) in ingestion.items.enumerated() {
            if hintsHold, let hinted = prepared.hints?.sealed[index] {
                sealed.append(SealedValue(keyID: hinted.keyID, combined: hinted.combined))
                continue
            }
            let category = Vocabulary.standard.fields[item.field]?.category ?? ""
            let unit = Vault.unit(subject: subject, caseID: ingestion.caseID, category: category)
            let dataKey = try vault.dataKey(
                forUnit: unit, creatingFor: sequence, item: index, in: txn, cache: &dataKeys,
                generation: vaultGeneration, newerThan: hintsHold ? prepared.hints?.floors.units : nil, sealer: sealer,
                keyEncryptionKey: keyEncryptionKey)
            let sealerKey = try sealerKeys.context(forKeyID: dataKey.id, key: dataKey.key, in: sealer)
            let combined = try sealer.seal(
                prepared.plaintexts[index], key: sealerKey,
                associatedData: Vault.valueAssociatedData(
                    eventID: prepared.event.envelope.id, item: index, field: item.field, keyID: dataKey.id))
            sealed.append(SealedValue(keyID: dataKey.id, combined: combined))
        }
        return sealed
    }
}

extension [BytesKey: AESGCMSealer.Key] {
    /// The sealer's context for the data key `keyID`, keyed on its first use in the transaction.
    mutating func context(forKeyID keyID: [UInt8], key: [UInt8], in sealer: AESGCMSealer) throws -> AESGCMSealer.Key {
        if let known = self[BytesKey(keyID)] { return known }
        let added = try sealer.add(key: key)
        self[BytesKey(keyID)] = added
        return added
    }
}

extension Ledger {
    /// Whether the record at `sequence` holds the event `prepared` describes: the same stored form
    /// byte for byte and the same values. A value whose data key has been destroyed cannot be compared
    /// and is taken as the same: an erased value leaves nothing behind to compare with, by design.
    func record(at sequence: UInt64, holds prepared: PreparedEvent, in txn: Transaction) throws -> Bool {
        guard let bytes = try log.record(at: sequence, in: txn), let record = EventRecord(decoding: bytes),
            let sealed = SealedValue.decode(record.sealed)
        else { throw StoredEvent.Unreadable(description: "record \(sequence) is missing or malformed") }
        guard record.canonicalEvent == prepared.storedCanonical, sealed.count == prepared.plaintexts.count else {
            return false
        }
        guard case .ingested(let ingestion) = prepared.event.payload else { return sealed.isEmpty }
        for (index, value) in sealed.enumerated() {
            guard let key = try vault.dataKey(id: value.keyID, in: txn) else { continue }
            let plaintext: [UInt8]
            do {
                plaintext = try AESGCM.open(
                    value.box, key: key,
                    associatedData: Vault.valueAssociatedData(
                        eventID: prepared.event.envelope.id, item: index, field: ingestion.items[index].field,
                        keyID: value.keyID))
            } catch is OpenError {
                throw StoredEvent.Unreadable(
                    description: "record \(sequence) has a sealed value that does not authenticate")
            }
            if plaintext != prepared.plaintexts[index] { return false }
        }
        return true
    }
}

/// How an event's canonical JSON differs when stored: `payload.items[i]` is
/// `{"field": …, "sealed": i}` (plus `"socialForceMajeure": true` when flagged) instead of carrying
/// the value.
enum StoredForm {
    static func item(field: String, sealed: Int, socialForceMajeure: Bool) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("field", .string(field)), ("sealed", .number(String(sealed))),
        ]
        if socialForceMajeure { members.append(("socialForceMajeure", .bool(true))) }
        return .object(JSONObject(members)!)
    }

    static func valueItem(field: String, value: JSONValue, socialForceMajeure: Bool) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("field", .string(field)), ("value", value)]
        if socialForceMajeure { members.append(("socialForceMajeure", .bool(true))) }
        return .object(JSONObject(members)!)
    }

    /// The envelope's canonical bytes with `payload.items` replaced.
    static func replacingItems(of envelope: Event, with items: [JSONValue]) -> [UInt8] {
        var payload = envelope.payload
        payload.replace("items", with: .array(items))
        var object = envelope.canonicalObject
        object.replace("payload", with: .object(payload))
        return CanonicalJSON.encode(.object(object))
    }
}

/// The keyed index from personal identity codes to subjects.
enum IdentityIndex {
    /// The index key of an identity code: HMAC-SHA-256 under the identity-index key of its
    /// normalised spelling — a Finnish code in upper case; a Swedish number as its ten digits
    /// YYMMDDNNNC (no century, no separator), so every accepted spelling finds the same person.
    static func digest(of value: JSONValue, using hmac: HMACSHA256) throws -> Digest? {
        guard case .string(let code) = value, let normalised = normalise(code) else { return nil }
        return try hmac.authenticate(Array(normalised.utf8))
    }

    static func normalise(_ code: String) -> String? {
        let upper = code.uppercased()
        if PersonalIdentityCode.isValidFinnish(upper) { return "FI:" + upper }
        if PersonalIdentityCode.isValidSwedish(code) {
            return "SE:" + String(code.filter { $0.isASCII && $0.isNumber }.suffix(10))
        }
        return nil
    }
}
