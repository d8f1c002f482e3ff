import Foundation

/// One sealed personal value in a record's sealed section: the data key it was sealed under and
/// the box, kept as its stored bytes (nonce ‖ ciphertext ‖ tag).
public struct SealedValue: Equatable, Sendable {
    public let keyID: [UInt8]
    /// nonce ‖ ciphertext ‖ tag, at least a nonce and a tag long.
    public let combined: [UInt8]

    public init(keyID: [UInt8], box: SealedBox) {
        self.keyID = keyID
        combined = box.combined
    }

    init(keyID: [UInt8], combined: [UInt8]) {
        precondition(combined.count >= SealedBox.nonceByteCount + SealedBox.tagByteCount)
        self.keyID = keyID
        self.combined = combined
    }

    /// The box split into its parts.
    public var box: SealedBox { SealedBox(combined: combined)! }

    /// The sealed section: count (4 bytes), then per value: key id (16 bytes), length L (4 bytes),
    /// nonce ‖ ciphertext ‖ tag (L bytes). All integers big-endian.
    static func encode(_ values: [SealedValue]) -> [UInt8] {
        guard !values.isEmpty else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(4 + values.reduce(0) { $0 + 20 + $1.combined.count })
        BigEndian.append(UInt32(values.count), to: &out)
        for value in values {
            value.keyID.withUnsafeBytes { out.append(contentsOf: $0) }
            BigEndian.append(UInt32(value.combined.count), to: &out)
            value.combined.withUnsafeBytes { out.append(contentsOf: $0) }
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
                length >= SealedBox.nonceByteCount + SealedBox.tagByteCount, bytes.count >= offset + 20 + length
            else { return nil }
            values.append(
                SealedValue(
                    keyID: Array(bytes[offset..<(offset + 16)]),
                    combined: Array(bytes[(offset + 20)..<(offset + 20 + length)])))
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
///
/// A key's id is the sequence number of the event that first needed it and the item's index (8 bytes
/// each, big-endian): unique, and growing with time, so `vault.keys` only ever grows at its end. Units
/// are keyed by person, at random places, so `vault.units` is a ``RunIndex``.
///
/// Units' keys found in the stored vault are kept across a process's write transactions
/// (``DataKeyCache``): a unit keeps its key until that key is destroyed, and whoever destroys a data
/// key (an erasure) must increment `ledger.meta` `vaultGeneration` in the same transaction, which
/// empties every process's cache at its next transaction.
struct Vault: Sendable {
    static let unitsDatabaseName = "vault.units"
    static let keysDatabaseName = "vault.keys"
    static let generationKey = Array("vaultGeneration".utf8)

    let units: RunIndex
    let keys: Database
    let meta: Database
    let keyEncryptionKey: [UInt8]
    let cache = DataKeyCache()

    init(units: Database, keys: Database, meta: Database, keyEncryptionKey: [UInt8]) {
        // Point lookups only, like the idempotency index: eight runs per merge.
        self.units = RunIndex(database: units, scope: .wholeKey, fanIn: 8)
        self.keys = keys
        self.meta = meta
        self.keyEncryptionKey = keyEncryptionKey
    }

    /// The vault's generation: how many times data keys have been destroyed (0 while none has).
    func generation(in txn: Transaction) throws -> UInt64 {
        try txn.get(meta, key: Self.generationKey).flatMap { BigEndian.uint64($0) } ?? 0
    }

    /// The unit's database key: subject ‖ 0x00 ‖ case (empty when none) ‖ 0x00 ‖ category.
    static func unit(subject: String, caseID: String?, category: String) -> [UInt8] {
        // One allocation: the concatenation of the parts' arrays made four more for every value sealed.
        var unit: [UInt8] = []
        unit.reserveCapacity(subject.utf8.count + (caseID?.utf8.count ?? 0) + category.utf8.count + 2)
        unit.append(contentsOf: subject.utf8)
        unit.append(0)
        if let caseID { unit.append(contentsOf: caseID.utf8) }
        unit.append(0)
        unit.append(contentsOf: category.utf8)
        return unit
    }

    /// The id of a key first needed by item `item` of the event recorded under `sequence`.
    static func keyID(sequence: UInt64, item: Int) -> [UInt8] {
        var id: [UInt8] = []
        id.reserveCapacity(16)
        BigEndian.append(sequence, to: &id)
        BigEndian.append(UInt64(item), to: &id)
        return id
    }

    static func wrapAssociatedData(keyID: [UInt8]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(Self.wrapLabel.count + keyID.count)
        data.append(contentsOf: Self.wrapLabel)
        data.append(contentsOf: keyID)
        return data
    }

    /// "lineage data key v1" ‖ 0x00: what a wrapped data key's associated data starts with.
    static let wrapLabel = Array("lineage data key v1".utf8) + [0]

    /// What a sealed value is bound to, so its box cannot be moved to another event, item or key.
    static func valueAssociatedData(eventID: EventID, item: Int, field: String, keyID: [UInt8]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(Self.valueLabel.count + 21 + field.utf8.count + keyID.count)
        Self.valueLabel.withUnsafeBytes { data.append(contentsOf: $0) }
        eventID.bytes.withUnsafeBytes { data.append(contentsOf: $0) }
        BigEndian.append(UInt32(truncatingIfNeeded: item), to: &data)
        var field = field
        field.withUTF8 { data.append(contentsOf: UnsafeRawBufferPointer($0)) }
        data.append(0)
        keyID.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    private static let valueLabel = Array("lineage value v1".utf8) + [0]

    /// The unit's data key; when it has none (or its key was destroyed), a new random 32-byte key,
    /// whose id names item `item` of the event being recorded under `sequence`.
    /// With `newerThan` (a snapshot's floor for `vault.units`, when the caller knows the snapshot had
    /// no key for the unit), only units stored since are looked at.
    /// A new key is drawn and wrapped by `sealer`, under `keyEncryptionKey` (the vault's, added to
    /// it), so that a batch creating thousands of keys does not key a cipher context for each.
    func dataKey(
        forUnit unit: [UInt8], creatingFor sequence: UInt64, item: Int, in txn: Transaction,
        cache: inout [BytesKey: (id: [UInt8], key: [UInt8])], generation: UInt64, newerThan floor: UInt64? = nil,
        sealer: AESGCMSealer, keyEncryptionKey kek: AESGCMSealer.Key
    ) throws -> (id: [UInt8], key: [UInt8]) {
        let unitKey = BytesKey(unit)
        if let known = cache[unitKey] { return known }
        if let known = self.cache.key(forUnit: unitKey, generation: generation) {
            cache[unitKey] = known
            return known
        }
        let unitKeys = try units.writer(in: txn)
        if let keyID = try unitKeys.get(unit, newerThan: floor), let key = try dataKey(id: keyID, in: txn) {
            cache[unitKey] = (keyID, key)
            // Only a key already stored goes into the process's cache: one created by this
            // transaction exists only if it commits.
            if unitKeys.pendingValue(unit) == nil { self.cache.remember(unitKey, (keyID, key), generation: generation) }
            return (keyID, key)
        }
        let keyID = Self.keyID(sequence: sequence, item: item)
        let key = try sealer.randomKey()
        let wrapped = try sealer.seal(key, key: kek, associatedData: Self.wrapAssociatedData(keyID: keyID))
        try txn.put(keys, key: keyID, value: wrapped, flags: .noOverwrite)
        unitKeys.put(unit, keyID)
        cache[unitKey] = (keyID, key)
        // The process may keep the new key once it exists, that is once the transaction commits.
        let processCache = self.cache
        txn.afterCommit { processCache.remember(unitKey, (keyID, key), generation: generation) }
        return (keyID, key)
    }

    /// Lends the wrapped data key stored under `keyID` (nonce ‖ ciphertext ‖ tag) to `body` in place;
    /// `nil` when it has been destroyed.
    func withWrappedKey<T>(
        id keyID: [UInt8], in txn: Transaction, _ body: (UnsafeRawBufferPointer?) throws -> T
    ) throws -> T {
        try txn.withValue(keys, key: keyID, body)
    }

    /// The data key with this id, or `nil` when it has been destroyed.
    func dataKey(id keyID: [UInt8], in txn: Transaction) throws -> [UInt8]? {
        guard let stored = try txn.get(keys, key: keyID), let box = SealedBox(combined: stored) else { return nil }
        return try AESGCM.open(box, key: keyEncryptionKey, associatedData: Self.wrapAssociatedData(keyID: keyID))
    }
}

/// The data keys of units this process has found in the vault, across its write transactions, for
/// as long as the vault's generation stays the same. Bounded: past `limit` units it starts over.
final class DataKeyCache: @unchecked Sendable {
    // @unchecked: every field is touched only with `lock` held.
    private let lock = NSLock()
    private var generation: UInt64 = 0
    private var keys: [BytesKey: (id: [UInt8], key: [UInt8])] = [:]
    static let limit = 250_000

    func key(forUnit unit: BytesKey, generation: UInt64) -> (id: [UInt8], key: [UInt8])? {
        lock.withLock {
            guard generation == self.generation else {
                keys.removeAll()
                self.generation = generation
                return nil
            }
            return keys[unit]
        }
    }

    func remember(_ unit: BytesKey, _ key: (id: [UInt8], key: [UInt8]), generation: UInt64) {
        lock.withLock {
            guard generation == self.generation else { return }
            if keys.count >= Self.limit { keys.removeAll(keepingCapacity: true) }
            keys[unit] = key
        }
    }
}
