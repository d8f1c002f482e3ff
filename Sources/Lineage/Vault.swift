/// One sealed personal value in a record's sealed section: the data key it was sealed under and
/// the box.
public struct SealedValue: Equatable, Sendable {
    public let keyID: [UInt8]
    public let box: SealedBox

    /// The sealed section: count (4 bytes), then per value: key id (16 bytes), length L (4 bytes),
    /// nonce ‖ ciphertext ‖ tag (L bytes). All integers big-endian.
    static func encode(_ values: [SealedValue]) -> [UInt8] {
        guard !values.isEmpty else { return [] }
        var out = BigEndian.bytes(UInt32(values.count))
        for value in values {
            let combined = value.box.combined
            out += value.keyID + BigEndian.bytes(UInt32(combined.count)) + combined
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> [SealedValue]? {
        guard !bytes.isEmpty else { return [] }
        guard let count = BigEndian.uint32(bytes) else { return nil }
        var values: [SealedValue] = []
        var offset = 4
        for _ in 0..<count {
            guard bytes.count >= offset + 20, let length = BigEndian.uint32(bytes, at: offset + 16).map(Int.init),
                bytes.count >= offset + 20 + length,
                let box = SealedBox(combined: Array(bytes[(offset + 20)..<(offset + 20 + length)]))
            else { return nil }
            values.append(SealedValue(keyID: Array(bytes[offset..<(offset + 16)]), box: box))
            offset += 20 + length
        }
        return offset == bytes.count ? values : nil
    }
}

/// The data keys. Every personal value is sealed with AES-256-GCM under the data key of its erasure
/// unit: subject × case × category, the finest unit the retention rules need. Data keys are stored
/// only wrapped (sealed) under the key-encryption key from the key file, in `vault.keys`; `vault.units`
/// maps a unit to its current key. Destroying a data key erases every value sealed under it, while
/// the records, the tree and the lineage metadata stay.
struct Vault: Sendable {
    static let unitsDatabaseName = "vault.units"
    static let keysDatabaseName = "vault.keys"

    let units: Database
    let keys: Database
    let keyEncryptionKey: [UInt8]

    /// The unit's database key: subject ‖ 0x00 ‖ case (empty when none) ‖ 0x00 ‖ category.
    static func unit(subject: String, caseID: String?, category: String) -> [UInt8] {
        Array(subject.utf8) + [0] + Array((caseID ?? "").utf8) + [0] + Array(category.utf8)
    }

    static func wrapAssociatedData(keyID: [UInt8]) -> [UInt8] { Array("lineage data key v1".utf8) + [0] + keyID }

    /// What a sealed value is bound to, so its box cannot be moved to another event, item or key.
    static func valueAssociatedData(eventID: EventID, item: Int, field: String, keyID: [UInt8]) -> [UInt8] {
        Array("lineage value v1".utf8) + [0] + eventID.bytes + BigEndian.bytes(UInt32(item)) + Array(field.utf8) + [0]
            + keyID
    }

    /// The unit's data key, created (random 32 bytes under a random 16-byte id) when it has none.
    func dataKey(forUnit unit: [UInt8], in txn: Transaction, cache: inout [[UInt8]: (id: [UInt8], key: [UInt8])])
        throws -> (id: [UInt8], key: [UInt8])
    {
        if let known = cache[unit] { return known }
        if let keyID = try txn.get(units, key: unit), let key = try dataKey(id: keyID, in: txn) {
            cache[unit] = (keyID, key)
            return (keyID, key)
        }
        let keyID = try SecureRandom.bytes(16)
        let key = try SecureRandom.bytes(AESGCM.keyByteCount)
        let wrapped = try AESGCM.seal(key, key: keyEncryptionKey, associatedData: Self.wrapAssociatedData(keyID: keyID))
        try txn.put(keys, key: keyID, value: wrapped.combined, flags: .noOverwrite)
        try txn.put(units, key: unit, value: keyID)
        cache[unit] = (keyID, key)
        return (keyID, key)
    }

    /// The data key with this id, or `nil` when it has been destroyed.
    func dataKey(id keyID: [UInt8], in txn: Transaction) throws -> [UInt8]? {
        guard let stored = try txn.get(keys, key: keyID), let box = SealedBox(combined: stored) else { return nil }
        return try AESGCM.open(box, key: keyEncryptionKey, associatedData: Self.wrapAssociatedData(keyID: keyID))
    }
}
