/// The per-event step of the write transaction: idempotency, the rules that depend on the ledger's
/// state, sealing, the append itself, and the projections. One writer serves one transaction.
struct EventWriter {
    let ledger: Ledger
    let txn: Transaction
    let appender: LogAppender
    let recordedAt: Int64
    let identityIndex: HMACSHA256
    private var dataKeys: [[UInt8]: (id: [UInt8], key: [UInt8])] = [:]

    init(ledger: Ledger, txn: Transaction, appender: LogAppender, recordedAt: Int64) throws {
        self.ledger = ledger
        self.txn = txn
        self.appender = appender
        self.recordedAt = recordedAt
        identityIndex = try HMACSHA256(key: ledger.keys.identityIndexKey)
    }

    mutating func write(_ event: DomainEvent, digest: Digest) throws -> Outcome {
        let envelope = event.envelope
        if let stored = try txn.get(ledger.idempotency, key: envelope.id.bytes) {
            let sequence = BigEndian.uint64(stored) ?? 0
            if Array(stored.dropFirst(8)) == digest.bytes { return .duplicate(sequence) }
            return .rejected(
                Rejection(
                    id: envelope.id.description, field: "id", rule: .idConflict,
                    message: "id was already recorded, as sequence number \(sequence), with other content"))
        }
        if var rejection = try StateRules(projections: ledger.projections, txn: txn).check(event) {
            rejection.id = envelope.id.description
            return .rejected(rejection)
        }
        let (storedEvent, sealed) = try seal(event)
        let record = EventRecord(
            recordedAt: recordedAt, canonicalEvent: storedEvent, sealed: SealedValue.encode(sealed))
        let sequence = try appender.append(record.encoded())
        try txn.put(
            ledger.idempotency, key: envelope.id.bytes, value: BigEndian.bytes(sequence) + digest.bytes,
            flags: .noOverwrite)
        try ledger.projections.apply(event, sequence: sequence, in: txn) { index in
            guard case .ingested(let ingestion) = event.payload, let value = ingestion.items[index].value else {
                return nil
            }
            return try IdentityIndex.digest(of: value, using: identityIndex)
        }
        return .appended(sequence)
    }

    /// The event as stored: each ingested value replaced by the index of its sealed box, sealed under
    /// its erasure unit's data key, bound to the event id, the item and the key.
    private mutating func seal(_ event: DomainEvent) throws -> ([UInt8], [SealedValue]) {
        guard case .ingested(let ingestion) = event.payload, let subject = event.envelope.subject else {
            return (event.envelope.canonical, [])
        }
        var sealed: [SealedValue] = []
        var storedItems: [JSONValue] = []
        for (index, item) in ingestion.items.enumerated() {
            let category = Vocabulary.standard.fields[item.field]?.category ?? ""
            let unit = Vault.unit(subject: subject, caseID: ingestion.caseID, category: category)
            let dataKey = try ledger.vault.dataKey(forUnit: unit, in: txn, cache: &dataKeys)
            let plaintext = CanonicalJSON.encode(item.value ?? .null)
            let box = try AESGCM.seal(
                plaintext, key: dataKey.key,
                associatedData: Vault.valueAssociatedData(
                    eventID: event.envelope.id, item: index, field: item.field, keyID: dataKey.id))
            sealed.append(SealedValue(keyID: dataKey.id, box: box))
            storedItems.append(
                StoredForm.item(field: item.field, sealed: index, socialForceMajeure: item.socialForceMajeure))
        }
        return (StoredForm.replacingItems(of: event.envelope, with: storedItems), sealed)
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
        guard case .object(var object) = try? JSONParser.parse(envelope.canonical) else { return envelope.canonical }
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
