/// A hash table from byte strings to values, for a write transaction's pending puts: the keys are
/// lent (they live in a ``ByteArena``, or for a lookup, the call), hashed eight bytes at a time
/// through a 128-bit product under a seed drawn once per process. Swift's `Dictionary` hashes with
/// SipHash and sets a hasher up for every lookup, which was a twentieth of the import's writer. Open
/// addressing with linear probing, half full at most, no removal; no slots until the first insert
/// (a rebuild's puts, which are never read back, need none).
///
/// Not a defence against keys chosen to collide: the keys are the ledger's own (event ids, subjects
/// with field names), fed by the collection systems.
struct ByteTable<Value> {
    /// Per slot, the key's hash with its lowest bit set, or 0 for an empty slot.
    private var hashes: [UInt64]
    private var keys: [UnsafeRawBufferPointer]
    private var values: [Value?]
    private(set) var count = 0

    private static var seed: UInt64 { ByteTableSeed.value }

    init() {
        hashes = []
        keys = []
        values = []
    }

    /// The value stored under `key`.
    subscript(key: UnsafeRawBufferPointer) -> Value? {
        guard count > 0 else { return nil }
        let (slot, found) = probe(key, hash: Self.hash(key))
        return found ? values[slot] : nil
    }

    /// Stores `value` under `key` unless the key has a value already, which is returned (and kept).
    /// `key` must stay valid as long as the table.
    mutating func insertIfAbsent(_ key: UnsafeRawBufferPointer, _ value: Value) -> Value? {
        if hashes.isEmpty { grow() }
        let hash = Self.hash(key)
        let (slot, found) = probe(key, hash: hash)
        if found { return values[slot] }
        occupy(slot, hash: hash, key: key, value: value)
        return nil
    }

    /// Changes the value under `key` in place, storing `initial` first when the key has none. `key`
    /// must stay valid as long as the table.
    mutating func update(_ key: UnsafeRawBufferPointer, default initial: Value, _ change: (inout Value) -> Void) {
        if hashes.isEmpty { grow() }
        let hash = Self.hash(key)
        let (slot, found) = probe(key, hash: hash)
        if found {
            change(&values[slot]!)
            return
        }
        var value = initial
        change(&value)
        occupy(slot, hash: hash, key: key, value: value)
    }

    /// The slot holding `key`, or the empty slot where it would go. There are slots, and one is empty.
    @inline(__always)
    private func probe(_ key: UnsafeRawBufferPointer, hash: UInt64) -> (slot: Int, found: Bool) {
        var slot = Int(truncatingIfNeeded: hash >> 1) & (hashes.count - 1)
        while hashes[slot] != 0 {
            if hashes[slot] == hash, compareBytes(keys[slot], key) == 0 { return (slot, true) }
            slot = (slot + 1) & (hashes.count - 1)
        }
        return (slot, false)
    }

    private mutating func occupy(_ slot: Int, hash: UInt64, key: UnsafeRawBufferPointer, value: Value) {
        hashes[slot] = hash
        keys[slot] = key
        values[slot] = value
        count += 1
        if count * 2 > hashes.count { grow() }
    }

    /// Twice the slots (64 at first), each key placed again by its stored hash.
    private mutating func grow() {
        let size = max(hashes.count * 2, 64)
        var grownHashes = [UInt64](repeating: 0, count: size)
        var grownKeys = [UnsafeRawBufferPointer](repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: size)
        var grownValues = [Value?](repeating: nil, count: size)
        for old in hashes.indices where hashes[old] != 0 {
            var slot = Int(truncatingIfNeeded: hashes[old] >> 1) & (size - 1)
            while grownHashes[slot] != 0 { slot = (slot + 1) & (size - 1) }
            grownHashes[slot] = hashes[old]
            grownKeys[slot] = keys[old]
            grownValues[slot] = values[old]
        }
        hashes = grownHashes
        keys = grownKeys
        values = grownValues
    }

    /// Eight bytes at a time, each folded into the state through a 128-bit product (its two halves
    /// xored, so that every bit of the word reaches every bit of the result), the tail likewise,
    /// then finished as SplitMix64 finishes its state. The seed enters every product.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let seed = Self.seed
        var state = seed ^ (UInt64(bytes.count) &* 0x9e37_79b9_7f4a_7c15)
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            state = fold(word ^ 0xa076_1d64_78bd_642f, state ^ seed ^ 0xe703_7ed1_a0b4_28db)
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            for index in offset..<bytes.count { tail = tail << 8 | UInt64(bytes[index]) }
            state = fold(tail ^ 0x8ebc_6af0_9c88_c6e3, state ^ seed ^ 0x5899_65cc_7537_4cc3)
        }
        state = (state ^ (state >> 30)) &* 0xbf58_476d_1ce4_e5b9
        state = (state ^ (state >> 27)) &* 0x94d0_49bb_1331_11eb
        return (state ^ (state >> 31)) | 1
    }

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }
}

/// The process's seed for ``ByteTable``'s hash, drawn once.
private enum ByteTableSeed {
    static let value = UInt64.random(in: .min ... .max)
}
