/// A hash table from byte strings to values, for a write transaction's pending puts: the keys are
/// lent (they live in a ``ByteArena``, or for a lookup, the call), hashed by a few multiplications
/// per eight bytes under a seed drawn once per process. Swift's `Dictionary` hashes with SipHash and
/// sets a hasher up for every lookup, which was a twentieth of the import's writer. Open addressing
/// with linear probing, half full at most, no removal.
///
/// Not a defence against keys chosen to collide by someone who knows the seed: the keys are the
/// ledger's own (event ids, subjects with field names), fed by the collection systems.
struct ByteTable<Value> {
    /// Per slot, the key's hash with its lowest bit set, or 0 for an empty slot.
    private var hashes: [UInt64]
    private var keys: [UnsafeRawBufferPointer]
    private var values: [Value?]
    private(set) var count = 0

    private static var seed: UInt64 { ByteTableSeed.value }

    init(capacity: Int = 32) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        hashes = [UInt64](repeating: 0, count: size)
        keys = [UnsafeRawBufferPointer](repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: size)
        values = [Value?](repeating: nil, count: size)
    }

    /// The value stored under `key`.
    subscript(key: UnsafeRawBufferPointer) -> Value? {
        guard let slot = slot(of: key, hash: Self.hash(key)) else { return nil }
        return values[slot]
    }

    /// Stores `value` under `key` unless the key has a value already, which is returned (and kept).
    /// `key` must stay valid as long as the table.
    mutating func insertIfAbsent(_ key: UnsafeRawBufferPointer, _ value: Value) -> Value? {
        let hash = Self.hash(key)
        var slot = Int(truncatingIfNeeded: hash >> 1) & (hashes.count - 1)
        while hashes[slot] != 0 {
            if hashes[slot] == hash, compareBytes(keys[slot], key) == 0 { return values[slot] }
            slot = (slot + 1) & (hashes.count - 1)
        }
        hashes[slot] = hash
        keys[slot] = key
        values[slot] = value
        count += 1
        if count * 2 > hashes.count { grow() }
        return nil
    }

    /// Changes the value under `key` in place, storing `initial` first when the key has none. `key`
    /// must stay valid as long as the table.
    mutating func update(_ key: UnsafeRawBufferPointer, default initial: Value, _ change: (inout Value) -> Void) {
        let hash = Self.hash(key)
        var slot = Int(truncatingIfNeeded: hash >> 1) & (hashes.count - 1)
        while hashes[slot] != 0 {
            if hashes[slot] == hash, compareBytes(keys[slot], key) == 0 {
                change(&values[slot]!)
                return
            }
            slot = (slot + 1) & (hashes.count - 1)
        }
        var value = initial
        change(&value)
        hashes[slot] = hash
        keys[slot] = key
        values[slot] = value
        count += 1
        if count * 2 > hashes.count { grow() }
    }

    private func slot(of key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        var slot = Int(truncatingIfNeeded: hash >> 1) & (hashes.count - 1)
        while hashes[slot] != 0 {
            if hashes[slot] == hash, compareBytes(keys[slot], key) == 0 { return slot }
            slot = (slot + 1) & (hashes.count - 1)
        }
        return nil
    }

    /// Twice the slots, each key placed again by its stored hash.
    private mutating func grow() {
        let size = hashes.count * 2
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

    /// Eight bytes at a time: mixed in by a multiplication and a shift, the tail likewise, then the
    /// whole finished as SplitMix64 finishes its state, so that every bit of the key reaches the bits
    /// the slot is taken from.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var state = seed ^ (UInt64(bytes.count) &* 0x9e37_79b9_7f4a_7c15)
        var offset = 0
        while offset + 8 <= bytes.count {
            state = (state ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xff51_afd7_ed55_8ccd
            state ^= state >> 32
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            for index in offset..<bytes.count { tail = tail << 8 | UInt64(bytes[index]) }
            state = (state ^ tail) &* 0xc4ce_b9fe_1a85_ec53
            state ^= state >> 32
        }
        state = (state ^ (state >> 30)) &* 0xbf58_476d_1ce4_e5b9
        state = (state ^ (state >> 27)) &* 0x94d0_49bb_1331_11eb
        return (state ^ (state >> 31)) | 1
    }
}

/// The process's seed for ``ByteTable``'s hash, drawn once.
private enum ByteTableSeed {
    static let value = UInt64.random(in: .min ... .max)
}
