import Testing

@testable import LedgerStore

@Suite("PendingPuts: a transaction's puts found by key and by prefix, in key order")
struct PendingPutsTests {
    /// Keys shaped like provenance's: subject ‖ 0x00 ‖ field ‖ 0x00 ‖ a 2-byte suffix.
    private static func key(subject: Int, field: Int, suffix: Int) -> [UInt8] {
        Array("person-\(subject)".utf8) + [0] + Array("field-\(field)".utf8) + [0]
            + [UInt8(suffix >> 8), UInt8(suffix & 0xff)]
    }

    @Test(
        "puts in any order, some repeated, are found by every prefix (subject, field, part of a suffix) as a sorted model finds them",
        arguments: [FilterScope.throughFirstZero, .zeroTerminatedParts(2)])
    func prefixScansMatchAModel(scope: FilterScope) {
        let puts = PendingPuts(scope: scope)
        var model: [[UInt8]: [UInt8]] = [:]
        var random = SplitMix64(seed: 7)
        for round in 0..<3_000 {
            // Mostly ascending suffixes per subject (as an import puts them), some anywhere, and
            // some keys put again.
            let subject = Int(random.next() % 12)
            let field = Int(random.next() % 5)
            let suffix = round % 4 == 0 ? Int(random.next() % 3_000) : round
            let key = Self.key(subject: subject, field: field, suffix: suffix)
            let value = Array("v\(round)".utf8)
            key.withUnsafeBytes { k in value.withUnsafeBytes { v in puts.put(k, v) } }
            model[key] = value
        }
        var prefixes: [[UInt8]] = []
        for subject in 0..<13 {
            prefixes.append(Array("person-\(subject)".utf8) + [0])
            for field in 0..<6 {
                let both = Array("person-\(subject)".utf8) + [0] + Array("field-\(field)".utf8) + [0]
                prefixes.append(both)
                prefixes.append(both + [UInt8(random.next() % 12)])
            }
        }
        for prefix in prefixes {
            let expected = model.filter { $0.key.starts(with: prefix) }.sorted {
                $0.key.lexicographicallyPrecedes($1.key)
            }
            let found = prefix.withUnsafeBytes { puts.entries(withPrefix: $0) }
            #expect(found.map { Array($0.key) } == expected.map(\.key))
            #expect(found.map { Array($0.value) } == expected.map(\.value))
        }
        for (key, value) in model.prefix(200) {
            #expect(key.withUnsafeBytes { puts.value(for: $0).map { Array($0) } } == value)
        }
    }

    @Test("insertSorted keeps an array sorted and puts an equal element after its equals")
    func insertSortedIsAStableInsertion() {
        var random = SplitMix64(seed: 11)
        var values: [Int] = []
        var sorted: [Int] = []
        for _ in 0..<2_000 {
            let value = Int(random.next() % 300)
            values.append(value)
            // Positions into `values`, ordered by value: equal values keep their arrival order.
            sorted.insertSorted(values.count - 1) { values[$0] < values[$1] }
        }
        #expect(sorted == values.indices.sorted { (values[$0], $0) < (values[$1], $1) })
    }

    @Test(
        "unread puts, loose and adopted from SortedPuts in any mix, come out sorted with each key's last value, as a model says",
        arguments: [1, 2, 7, 40])
    func adoptedSortedPutsMergeAsIfPutInOrder(lists: Int) {
        let puts = PendingPuts(scope: .zeroTerminatedParts(2), readable: false)
        var model: [[UInt8]: [UInt8]] = [:]
        var random = SplitMix64(seed: UInt64(lists))
        var round = 0
        for list in 0..<lists {
            // Every third list is put loose, the others sorted elsewhere and adopted; keys repeat
            // within and across lists, so that the order of arrival decides each value.
            let sorted = list % 3 == 1 ? nil : SortedPuts()
            for _ in 0..<Int(random.next() % 200) {
                let key = Self.key(
                    subject: Int(random.next() % 9), field: Int(random.next() % 4), suffix: Int(random.next() % 60))
                let value = Array("v\(round)".utf8)
                round += 1
                if let sorted {
                    sorted.put(key, value)
                } else {
                    key.withUnsafeBytes { k in value.withUnsafeBytes { v in puts.put(k, v) } }
                }
                model[key] = value
            }
            if let sorted {
                sorted.sort()
                puts.adopt(sorted)
            }
        }
        let expected = model.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        let found = puts.sorted()
        #expect(found.map { Array($0.key) } == expected.map(\.key))
        #expect(found.map { Array($0.value) } == expected.map(\.value))
        #expect(puts.count >= expected.count)
    }

    @Test(
        "sortedPositions orders byte strings as memcmp does, equal ones by position, whatever their lengths and zero bytes"
    )
    func sortedPositionsMatchesMemcmpOrder() {
        var random = SplitMix64(seed: 23)
        // A small alphabet with 0x00 (which the zero padding of short strings must not confuse
        // with a real zero) and high bytes, lengths around the 8- and 16-byte words, and repeats.
        let alphabet: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xff]
        var strings: [[UInt8]] = []
        for _ in 0..<3_000 {
            if !strings.isEmpty && random.next() % 5 == 0 {
                strings.append(strings[Int(random.next() % UInt64(strings.count))])
                continue
            }
            let length = Int(random.next() % 25)
            strings.append((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        }
        // One buffer holds them all, so that each is lent in place for the whole sort.
        var flat: [UInt8] = []
        var ranges: [Range<Int>] = []
        for string in strings {
            ranges.append(flat.count..<(flat.count + string.count))
            flat.append(contentsOf: string)
        }
        let order = flat.withUnsafeBytes { buffer in
            sortedPositions(count: strings.count) { UnsafeRawBufferPointer(rebasing: buffer[ranges[$0]]) }
        }
        let expected = strings.indices.sorted { a, b in
            strings[a] != strings[b] ? strings[a].lexicographicallyPrecedes(strings[b]) : a < b
        }
        #expect(order == expected)
    }

    @Test("readable puts, some repeated, come out sorted once each with the last value")
    func readablePutsComeOutSorted() {
        let puts = PendingPuts(scope: .zeroTerminatedParts(2))
        var model: [[UInt8]: [UInt8]] = [:]
        var random = SplitMix64(seed: 29)
        for round in 0..<2_000 {
            let key = Self.key(
                subject: Int(random.next() % 40), field: Int(random.next() % 4), suffix: Int(random.next() % 500))
            let value = Array("v\(round)".utf8)
            key.withUnsafeBytes { k in value.withUnsafeBytes { v in puts.put(k, v) } }
            model[key] = value
        }
        let expected = model.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        let found = puts.sorted()
        #expect(found.map { Array($0.key) } == expected.map(\.key))
        #expect(found.map { Array($0.value) } == expected.map(\.value))
    }
}
