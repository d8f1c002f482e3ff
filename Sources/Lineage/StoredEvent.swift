/// An event read back from its record: the record, the typed event in its stored form, and the
/// sealed values, which open only while their data keys exist.
struct StoredEvent {
    let sequence: UInt64
    let record: EventRecord
    let event: DomainEvent
    let sealed: [SealedValue]
    /// What the ledger resolved when it recorded the event: a disclosure's versions sent.
    let resolution: Resolution

    /// Why a record could not be read as an event; used by `verify`.
    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    /// The record `bytes` numbered `sequence`, its event read by `reader` (one thread's, for the
    /// replays) or, without one, by the tree path (``JSONParser``).
    init(sequence: UInt64, bytes: [UInt8], reader: StoredEventReader? = nil) throws {
        self.sequence = sequence
        guard let record = EventRecord(decoding: bytes) else {
            throw Unreadable(
                description: "record \(sequence) is not a well-formed version-\(EventRecord.formatVersion) record")
        }
        guard let sealed = SealedValue.decode(record.sealed) else {
            throw Unreadable(description: "record \(sequence) has a malformed sealed section")
        }
        guard let resolution = Resolution(decoding: record.resolution) else {
            throw Unreadable(description: "record \(sequence) has a malformed resolution section")
        }
        do {
            if let reader {
                event = try reader.read(record.canonicalEvent)
            } else {
                event = try DomainEvent(
                    try Event(validating: try JSONParser.parse(record.canonicalEvent)), stored: true)
            }
        } catch StoredEventReader.Failure.notCanonical {
            throw Unreadable(description: "record \(sequence) does not hold its event in canonical form")
        } catch {
            throw Unreadable(description: "record \(sequence) does not hold a valid event")
        }
        // A disclosure names the version of each field it sent; no other event resolves anything.
        let disclosed: Int = if case .disclosed(let disclosure) = event.payload { disclosure.fields.count } else { 0 }
        guard resolution.versions.count == disclosed else {
            throw Unreadable(description: "record \(sequence)'s resolution section does not match its event")
        }
        self.record = record
        self.sealed = sealed
        self.resolution = resolution
    }

    static func load(_ sequence: UInt64, from ledger: Ledger, in txn: Transaction) throws -> StoredEvent? {
        guard let bytes = try ledger.log.record(at: sequence, in: txn) else { return nil }
        return try StoredEvent(sequence: sequence, bytes: bytes)
    }

    var items: [IngestedItem] {
        if case .ingested(let ingestion) = event.payload { return ingestion.items }
        return []
    }

    /// The value of item `index`, or `nil` when its data key has been destroyed (erased).
    func value(ofItem index: Int, vault: Vault, in txn: Transaction) throws -> JSONValue? {
        let items = self.items
        guard index < items.count, let sealedIndex = items[index].sealed, sealedIndex < sealed.count else { return nil }
        let value = sealed[sealedIndex]
        guard let key = try vault.dataKey(id: value.keyID, in: txn) else { return nil }
        let plaintext = try AESGCM.open(
            value.box, key: key,
            associatedData: Vault.valueAssociatedData(
                eventID: event.envelope.id, item: index, field: items[index].field, keyID: value.keyID))
        return try JSONParser.parse(plaintext)
    }
}
