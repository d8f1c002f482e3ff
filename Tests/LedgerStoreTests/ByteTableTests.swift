import Testing

@testable import LedgerStore

@Suite("ByteTable: byte strings to values, checked against a Dictionary")
struct ByteTableTests {
    @Test("random keys of every length up to 40 bytes, many put twice, are found as a Dictionary finds them")
    func matchesADictionary() {
        let arena = ByteArena()
        var table = ByteTable<Int>()
        var model: [[UInt8]: Int] = [:]
        var random = SplitMix64(seed: 11)
        var keys: [[UInt8]] = []
        for round in 0..<20_000 {
            // A fifth of the rounds put a key already put; the first value stays.
            let key: [UInt8]
            if round % 5 == 4, let known = keys.randomElement(using: &random) {
                key = known
            } else {
                key = (0..<Int(random.next() % 41)).map { _ in UInt8(truncatingIfNeeded: random.next() % 4) }
                keys.append(key)
            }
            let stored = key.withUnsafeBytes { arena.copy($0) }
            let existing = table.insertIfAbsent(stored, round)
            #expect(existing == model[key])
            if model[key] == nil { model[key] = round }
        }
        #expect(table.count == model.count)
        for (key, value) in model { #expect(key.withUnsafeBytes { table[$0] } == value) }
        // Keys never put, including one longer than any.
        for _ in 0..<2_000 {
            let key = (0..<Int(random.next() % 48)).map { _ in UInt8(truncatingIfNeeded: random.next() % 4) }
            #expect(key.withUnsafeBytes { table[$0] } == model[key])
        }
    }

    @Test("update changes a value in place, starting from the default for a new key")
    func updateInPlace() {
        let arena = ByteArena()
        var table = ByteTable<[Int]>()
        var model: [[UInt8]: [Int]] = [:]
        for round in 0..<5_000 {
            let key = Array("person-\(round % 700)".utf8)
            let stored = key.withUnsafeBytes { arena.copy($0) }
            table.update(stored, default: [-1]) { $0.append(round) }
            model[key, default: [-1]].append(round)
        }
        #expect(table.count == model.count)
        for (key, value) in model { #expect(key.withUnsafeBytes { table[$0] } == value) }
    }

    @Test("every one-bit change of a key changes its hash, and so do flips of the top bits of several bytes")
    func everyBitCounts() {
        func hash(_ key: [UInt8]) -> UInt64 { key.withUnsafeBytes { ByteTable<Int>.hash($0) } }
        for length in [1, 7, 8, 9, 16, 24, 37] {
            let key = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let original = hash(key)
            for bit in 0..<(length * 8) {
                var changed = key
                changed[bit / 8] ^= 1 << UInt8(bit % 8)
                #expect(hash(changed) != original, "bit \(bit) of a \(length)-byte key")
            }
        }
        // A multiply-and-shift hash maps these three flips to the same value whatever its seed.
        let key = [UInt8](repeating: 0x41, count: 16)
        var flipped = key
        for index in [7, 11, 15] { flipped[index] ^= 0x80 }
        #expect(hash(flipped) != hash(key))
    }

    @Test("the empty key is a key like any")
    func emptyKey() {
        var table = ByteTable<String>()
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(table[empty] == nil)
        #expect(table.insertIfAbsent(empty, "first") == nil)
        #expect(table.insertIfAbsent(empty, "second") == "first")
        #expect(table[empty] == "first")
    }
}
