import Foundation

/// The repeated strings of one query's answer, each made once: a person's hundred versions name a
/// handful of sources, legal bases and purposes, and a string longer than 15 bytes (which Swift
/// cannot keep inline) costs an allocation to make and another to free. Short strings are made
/// directly. An open-addressing table over the bytes; it belongs to one query.
struct StringTable {
    /// Each slot's hash (never 0), or 0 for an empty slot.
    private var hashes: [UInt64]
    private var strings: [String]
    private var count = 0

    init(capacity: Int = 8) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        hashes = [UInt64](repeating: 0, count: size)
        strings = [String](repeating: "", count: size)
    }

    /// The string whose UTF-8 is `bytes` (invalid UTF-8 repaired as `String(decoding:as:)` does).
    mutating func string(_ bytes: UnsafeRawBufferPointer) -> String {
        guard bytes.count > 15 else { return String(decoding: bytes, as: UTF8.self) }
        let hash = Self.hash(bytes) | 1
        let mask = hashes.count - 1
        var slot = Int(truncatingIfNeeded: hash >> 7) & mask
        while hashes[slot] != 0 {
            if hashes[slot] == hash, Self.utf8(of: strings[slot], equals: bytes) { return strings[slot] }
            slot = (slot + 1) & mask
        }
        let made = String(decoding: bytes, as: UTF8.self)
        // A repaired string's bytes differ from `bytes`: it is returned, never stored.
        guard Self.utf8(of: made, equals: bytes) else { return made }
        hashes[slot] = hash
        strings[slot] = made
        count += 1
        if count * 2 > hashes.count { grow() }
        return made
    }

    /// ``string(_:)`` of `range` of `bytes`, or `nil` for none.
    mutating func string(_ range: Range<Int>?, of bytes: [UInt8]) -> String? {
        guard let range else { return nil }
        return bytes.withUnsafeBytes { string(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// A 64-bit hash of `bytes`, eight at a time.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = 0x9e37_79b9_7f4a_7c15 ^ UInt64(bytes.count)
        var offset = 0
        while bytes.count - offset >= 8 {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xff51_afd7_ed55_8ccd
            hash ^= hash >> 32
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            tail |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
        }
        hash = (hash ^ tail) &* 0xc4ce_b9fe_1a85_ec53
        return hash ^ (hash >> 29)
    }

    private static func utf8(of string: String, equals bytes: UnsafeRawBufferPointer) -> Bool {
        let equal = string.utf8.withContiguousStorageIfAvailable { utf8 in
            utf8.count == bytes.count && memcmp(utf8.baseAddress!, bytes.baseAddress!, bytes.count) == 0
        }
        return equal ?? string.utf8.elementsEqual(bytes)
    }

    /// Doubles the table, moving the strings it holds (not copies of them) to their new slots.
    private mutating func grow() {
        var larger = StringTable(capacity: hashes.count)
        let mask = larger.hashes.count - 1
        for (hash, string) in zip(hashes, strings) where hash != 0 {
            var slot = Int(truncatingIfNeeded: hash >> 7) & mask
            while larger.hashes[slot] != 0 { slot = (slot + 1) & mask }
            larger.hashes[slot] = hash
            larger.strings[slot] = string
        }
        larger.count = count
        self = larger
    }
}

/// Party registrations kept between the queries of one process, per ledger, for as long as the
/// ledger is at the snapshot it was at when they were read (``Transaction/snapshotID``: any write
/// transaction committed since, by any process, starts the cache afresh). Reading and parsing a
/// party's registrations was about a tenth of a provenance query.
final class QueryPartyCache: @unchecked Sendable {
    // @unchecked: `ledgers` is only touched with `lock` held.
    typealias Registrations = [String: [(micros: Int64, registration: PartyRegistration)]]

    static let shared = QueryPartyCache()

    private struct Entry {
        /// Which ledger: an entry whose ledger is gone (its identifier may be reused) is dropped.
        weak var ledger: Ledger?
        let snapshot: UInt64
        let registrations: Registrations
    }

    private let lock = NSLock()
    private var ledgers: [ObjectIdentifier: Entry] = [:]

    /// What is known about `ledger`'s parties at `snapshot`; empty when nothing is.
    func registrations(of ledger: Ledger, snapshot: UInt64) -> Registrations {
        lock.withLock {
            guard let entry = ledgers[ObjectIdentifier(ledger)], entry.ledger === ledger, entry.snapshot == snapshot
            else { return [:] }
            return entry.registrations
        }
    }

    /// Keeps what a query read at `snapshot`, unless a query of a later snapshot was first.
    func store(_ registrations: Registrations, of ledger: Ledger, snapshot: UInt64) {
        lock.withLock {
            let id = ObjectIdentifier(ledger)
            if let entry = ledgers[id], entry.ledger === ledger, entry.snapshot > snapshot { return }
            ledgers = ledgers.filter { $0.value.ledger != nil }
            ledgers[id] = Entry(ledger: ledger, snapshot: snapshot, registrations: registrations)
        }
    }
}

/// A map from 128-bit keys (a data key id as two words, a sequence number and 0) to values, for one
/// query. Swift's `Dictionary` hashes every lookup with SipHash, which showed in the query profiles;
/// these keys are random bytes or distinct numbers, and a multiply spreads them well enough. Open
/// addressing, no removal.
struct WordTable<Value> {
    private var keys: [(UInt64, UInt64)]
    /// `nil` marks an empty slot.
    private var values: [Value?]
    private var count = 0

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [(UInt64, UInt64)](repeating: (0, 0), count: size)
        values = [Value?](repeating: nil, count: size)
    }

    @inline(__always)
    private func slot(of key: (UInt64, UInt64)) -> Int {
        let mixed = (key.0 ^ (key.1 &* 0x9e37_79b9_7f4a_7c15)) &* 0xff51_afd7_ed55_8ccd
        return Int(truncatingIfNeeded: mixed >> 32) & (keys.count - 1)
    }

    subscript(key: (UInt64, UInt64)) -> Value? {
        var slot = slot(of: key)
        while let value = values[slot] {
            if keys[slot] == key { return value }
            slot = (slot + 1) & (keys.count - 1)
        }
        return nil
    }

    /// Stores `value` under `key`, replacing what was there.
    mutating func set(_ value: Value, for key: (UInt64, UInt64)) {
        var slot = slot(of: key)
        while values[slot] != nil {
            if keys[slot] == key {
                values[slot] = value
                return
            }
            slot = (slot + 1) & (keys.count - 1)
        }
        keys[slot] = key
        values[slot] = value
        count += 1
        if count * 2 > keys.count {
            var larger = WordTable(capacity: keys.count)
            for (key, value) in zip(keys, values) { if let value { larger.set(value, for: key) } }
            self = larger
        }
    }
}
