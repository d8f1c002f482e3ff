/// The per-event step of the write transaction: idempotency, the rules that depend on the ledger's
/// state, sealing, the append itself, and the projections. One writer serves one transaction.
struct EventWriter {
    let ledger: Ledger
    let txn: Transaction
    let appender: LogAppender
    let recordedAt: Int64
    private var dataKeys: [[UInt8]: (id: [UInt8], key: [UInt8])] = [:]
    private var parties = PartyCache()
    private let nonces = NoncePool()
    private var sentVersions: [Projections.VersionRef] = []

    init(ledger: Ledger, txn: Transaction, appender: LogAppender, recordedAt: Int64) throws {
        self.ledger = ledger
        self.txn = txn
        self.appender = appender
        self.recordedAt = recordedAt
    }

    mutating func write(_ prepared: PreparedEvent) throws -> Outcome {
        let event = prepared.event
        let envelope = event.envelope
        if let stored = try txn.get(ledger.idempotency, key: envelope.id.bytes) {
            let sequence = BigEndian.uint64(stored) ?? 0
            if Array(stored.dropFirst(8)) == prepared.digest.bytes { return .duplicate(sequence) }
            return .rejected(
                Rejection(
                    id: envelope.id.description, field: "id", rule: .idConflict,
                    message: "id was already recorded, as sequence number \(sequence), with other content"))
        }
        if var rejection = try StateRules(projections: ledger.projections, txn: txn).check(
            event, parties: &parties, sentVersions: &sentVersions)
        {
            rejection.id = envelope.id.description
            return .rejected(rejection)
        }
        let record = EventRecord(
            recordedAt: recordedAt, canonicalEvent: prepared.storedCanonical,
            sealed: SealedValue.encode(try seal(prepared)))
        let sequence = try appender.append(record.encoded())
        try txn.put(
            ledger.idempotency, key: envelope.id.bytes, value: BigEndian.bytes(sequence) + prepared.digest.bytes,
            flags: .noOverwrite)
        let sent: [Projections.VersionRef]? = if case .disclosed = event.payload { sentVersions } else { nil }
        try ledger.projections.apply(
            event, sequence: sequence, recordedAt: recordedAt, in: txn, sentVersions: sent
        ) { prepared.identityDigests[$0] }
        if case .partyRegistered(let registration) = event.payload { parties.forget(registration.party) }
        return .appended(sequence)
    }

    /// Each ingested value sealed under its erasure unit's data key, bound to the event id, the item
    /// and the key.
    private mutating func seal(_ prepared: PreparedEvent) throws -> [SealedValue] {
        let event = prepared.event
        guard case .ingested(let ingestion) = event.payload, let subject = event.envelope.subject else { return [] }
        var sealed: [SealedValue] = []
        sealed.reserveCapacity(ingestion.items.count)
        for (index, item) in ingestion.items.enumerated() {
            let category = Vocabulary.standard.fields[item.field]?.category ?? ""
            let unit = Vault.unit(subject: subject, caseID: ingestion.caseID, category: category)
            let dataKey = try ledger.vault.dataKey(forUnit: unit, in: txn, cache: &dataKeys)
            let box = try AESGCM.seal(
                prepared.plaintexts[index], key: dataKey.key,
                associatedData: Vault.valueAssociatedData(
                    eventID: event.envelope.id, item: index, field: item.field, keyID: dataKey.id),
                nonces: nonces)
            sealed.append(SealedValue(keyID: dataKey.id, box: box))
        }
        return sealed
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
