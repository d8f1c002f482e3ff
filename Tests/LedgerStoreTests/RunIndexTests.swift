import Foundation
import Testing

@testable import LedgerStore

/// A run index in a fresh environment, with a second index object over the same database (as another
/// process would have: its own filter cache).
private struct RunIndexFixture {
    let environment: Environment
    let index: RunIndex
    let twin: RunIndex

    init(_ path: String, scope: FilterScope = .throughFirstZero, fanIn: Int = 4, mapSize: Int = 1 << 30) throws {
        environment = try Environment(path: path, options: EnvironmentOptions(mapSize: mapSize))
        let database = try environment.openDatabases([("index", [])])[0]
        index = RunIndex(database: database, scope: scope, fanIn: fanIn)
        twin = RunIndex(database: database, scope: scope, fanIn: fanIn)
    }
}

/// Keys shaped like the projections': a 0-terminated subject, then a suffix.
private func key(subject: Int, suffix: Int) -> [UInt8] {
    Array("person-\(subject)".utf8) + [0] + BigEndian.bytes(UInt32(suffix))
}

private struct Aborted: Error {}

/// A backward scan that stops after `limit` entries, copied out.
private func backwards(_ view: any RunIndexView, _ prefix: [UInt8], stoppingAfter limit: Int) throws -> [RunEntry] {
    var found: [RunEntry] = []
    try view.forEachEntry(withPrefix: prefix, reverse: true) { key, value in
        found.append(RunEntry(key: Array(key), value: Array(value)))
        return found.count < limit
    }
    return found
}

/// What a backward scan of `prefix` stopping after `limit` entries must give, from a model.
private func expectedBackwards(_ model: [[UInt8]: [UInt8]], _ prefix: [UInt8], stoppingAfter limit: Int) -> [RunEntry] {
    model.filter { $0.key.starts(with: prefix) }.sorted { compareBytes($0.key, $1.key) > 0 }.prefix(limit).map {
        RunEntry(key: $0.key, value: $0.value)
    }
}

@Suite("RunIndex: sorted runs with filters, checked against a model")
struct RunIndexTests {
    @Test("random puts, lookups and scans over 300 transactions, some aborted, match a dictionary")
    func matchesAModel() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path)
            var model: [[UInt8]: [UInt8]] = [:]
            var random = SplitMix64(seed: 42)
            var merges = 0
            for round in 0..<300 {
                // Alternate between the two index objects, as two processes would.
                let index = round % 3 == 0 ? fixture.twin : fixture.index
                let abort = round % 17 == 5
                var working = model
                do {
                    try fixture.environment.write { txn in
                        working = model
                        let writer = try index.writer(in: txn)
                        let puts = Int(random.next() % 40) + (round % 50 == 0 ? 2_000 : 0)
                        for _ in 0..<puts {
                            let k = key(subject: Int(random.next() % 60), suffix: Int(random.next() % 30))
                            let v = Array("value \(round) \(random.next() % 1000)".utf8)
                            writer.put(k, v)
                            working[k] = v
                        }
                        // Reads inside the transaction see its own pending puts.
                        for _ in 0..<10 {
                            let k = key(subject: Int(random.next() % 60), suffix: Int(random.next() % 30))
                            #expect(try writer.get(k) == working[k])
                        }
                        let subject = Int(random.next() % 60)
                        let prefix = Array("person-\(subject)".utf8) + [0]
                        let expected = working.filter { $0.key.starts(with: prefix) }.sorted {
                            compareBytes($0.key, $1.key) < 0
                        }
                        #expect(
                            try writer.entries(withPrefix: prefix)
                                == expected.map { RunEntry(key: $0.key, value: $0.value) })
                        // Backwards, over the runs and the pending puts, stopping anywhere (the runs
                        // are read from their ends a few entries at a time).
                        for limit in [1, 2, 5, 17, 1_000] {
                            #expect(
                                try backwards(writer, prefix, stoppingAfter: limit)
                                    == expectedBackwards(working, prefix, stoppingAfter: limit))
                        }
                        let runsBefore = writer.reader.directory.runs.count
                        try writer.flush()
                        if writer.reader.directory.runs.count < runsBefore + 1 { merges += 1 }
                        if abort { throw Aborted() }
                    }
                    model = working
                } catch is Aborted {}
                if round % 25 == 0 {
                    try checkAgainst(model, fixture)
                }
            }
            try checkAgainst(model, fixture)
            #expect(merges > 10, "the rounds were meant to merge runs")
        }
    }

    private func checkAgainst(_ model: [[UInt8]: [UInt8]], _ fixture: RunIndexFixture) throws {
        try fixture.environment.read { txn in
            let reader = try fixture.index.reader(in: txn)
            for (k, v) in model { #expect(try reader.get(k) == v) }
            #expect(try reader.get(key(subject: 999, suffix: 1)) == nil)
            for subject in 0..<60 {
                let prefix = Array("person-\(subject)".utf8) + [0]
                let expected = model.filter { $0.key.starts(with: prefix) }.sorted { compareBytes($0.key, $1.key) < 0 }
                #expect(try reader.entries(withPrefix: prefix).map(\.key) == expected.map(\.key))
                let limit = [1, 3, 9, 1_000][subject % 4]
                #expect(
                    try backwards(reader, prefix, stoppingAfter: limit)
                        == expectedBackwards(model, prefix, stoppingAfter: limit))
            }
            // The whole index backwards (an empty prefix: the end of a run is the next run's start),
            // and a prefix past every key.
            #expect(try backwards(reader, [], stoppingAfter: 50) == expectedBackwards(model, [], stoppingAfter: 50))
            #expect(try backwards(reader, [0xff, 0xff], stoppingAfter: 5).isEmpty)
            // Every stored entry is inside a listed run, counted and admitted by its filter. Keys
            // overwritten in a newer run are still stored in the older one until they merge.
            var seen: [[UInt8]: Int] = [:]
            let stored = try fixture.index.scanChecking(in: txn) { key, _ in seen[Array(key), default: 0] += 1 }
            #expect(Set(seen.keys) == Set(model.keys))
            #expect(stored == (try fixture.index.entryCount(in: txn)))
            // The weights count flushes in base fanIn: fewer than fanIn runs of each weight, powers of
            // fanIn, growing with age.
            let runs = try fixture.index.runs(in: txn)
            let weights = Dictionary(grouping: runs, by: \.weight)
            #expect(weights.values.allSatisfy { $0.count < fixture.index.fanIn }, "\(runs.map(\.weight))")
            #expect(zip(runs, runs.dropFirst()).allSatisfy { $0.weight <= $1.weight }, "\(runs.map(\.weight))")
        }
    }

    @Test("a hundred thousand keys in 200 flushes merge into a few runs and all stay findable")
    func manyFlushesMerge() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path, scope: .wholeKey)
            var random = SplitMix64(seed: 7)
            var keys: [[UInt8]] = []
            for _ in 0..<200 {
                try fixture.environment.write { txn in
                    let writer = try fixture.index.writer(in: txn)
                    for _ in 0..<500 {
                        let k = BigEndian.bytes(random.next()) + BigEndian.bytes(random.next())
                        keys.append(k)
                        writer.put(k, Array(k.reversed()))
                    }
                    try writer.flush()
                }
            }
            try fixture.environment.read { txn in
                let runs = try fixture.index.runs(in: txn)
                #expect(runs.count <= 12, "\(runs.map(\.entries))")
                let stored = try fixture.index.scanChecking(in: txn) { _, _ in }
                #expect(stored == 100_000)
                let reader = try fixture.index.reader(in: txn)
                for k in keys.prefix(3_000) { #expect(try reader.get(k) == Array(k.reversed())) }
                var misses = 0
                for _ in 0..<3_000 where try reader.get(BigEndian.bytes(random.next()) + [1]) != nil { misses += 1 }
                #expect(misses == 0)
                // Filters keep lookups from visiting most runs: far fewer reads than runs × lookups.
                let before = txn.readCount
                for _ in 0..<1_000 {
                    _ = try reader.get(BigEndian.bytes(random.next()) + BigEndian.bytes(random.next()))
                }
                #expect(txn.readCount - before < 1_000 * runs.count / 5)
            }
            try fixture.environment.write { txn in try fixture.index.compactFully(in: txn) }
            try fixture.environment.read { txn in
                #expect(try fixture.index.runs(in: txn).count == 1)
                let stored = try fixture.index.scanChecking(in: txn) { _, _ in }
                #expect(stored == 100_000)
                let reader = try fixture.index.reader(in: txn)
                for k in keys.suffix(1_000) { #expect(try reader.get(k) == Array(k.reversed())) }
            }
        }
    }

    @Test("values of overflow-page size survive merges (cursors stay valid while the merge appends)")
    func largeValuesMerge() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path)
            var expected: [[UInt8]: [UInt8]] = [:]
            for round in 0..<20 {
                try fixture.environment.write { txn in
                    let writer = try fixture.index.writer(in: txn)
                    for item in 0..<64 {
                        let k = key(subject: item % 9, suffix: round * 100 + item)
                        let v = [UInt8](
                            repeating: UInt8(truncatingIfNeeded: round &* 31 &+ item), count: item % 5 == 0 ? 9_000 : 40
                        )
                        writer.put(k, v)
                        expected[k] = v
                    }
                    try writer.flush()
                }
            }
            try fixture.environment.read { txn in
                var seen = 0
                try fixture.index.scanChecking(in: txn) { key, value in
                    #expect(expected[Array(key)] == Array(value))
                    seen += 1
                }
                #expect(seen == expected.count)
            }
        }
    }

    @Test("a newer run's value wins, before and after the runs merge")
    func newestWins() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path, scope: .wholeKey, fanIn: 2)
            let k = Array("unit".utf8)
            for version in 0..<7 {
                try fixture.environment.write { txn in
                    let writer = try fixture.index.writer(in: txn)
                    writer.put(k, [UInt8(version)])
                    writer.put(Array("other \(version)".utf8), [1])
                    try writer.flush()
                }
                try fixture.environment.read { txn in
                    let reader = try fixture.index.reader(in: txn)
                    #expect(try reader.get(k) == [UInt8(version)])
                }
            }
            try fixture.environment.write { txn in try fixture.index.compactFully(in: txn) }
            try fixture.environment.read { txn in
                let reader = try fixture.index.reader(in: txn)
                #expect(try reader.get(k) == [6])
                let stored = try fixture.index.scanChecking(in: txn) { _, _ in }
                #expect(stored == 8)
            }
        }
    }

    @Test("emptying keeps run numbers growing, so a cached filter is never taken for another run's")
    func emptyingKeepsNumbering() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path)
            func write(_ subject: Int) throws {
                try fixture.environment.write { txn in
                    let writer = try fixture.index.writer(in: txn)
                    writer.put(key(subject: subject, suffix: 1), [1])
                    try writer.flush()
                }
            }
            try write(1)
            let before = try fixture.environment.read { try fixture.index.runs(in: $0) }
            try fixture.environment.write { try fixture.index.empty(in: $0) }
            try write(2)
            try fixture.environment.read { txn in
                let after = try fixture.index.runs(in: txn)
                #expect(after.count == 1 && after[0].id > before[0].id)
                let reader = try fixture.index.reader(in: txn)
                #expect(try reader.get(key(subject: 1, suffix: 1)) == nil)
                #expect(try reader.get(key(subject: 2, suffix: 1)) == [1])
            }
            // The writer's cache (filled in the first transaction) agrees.
            try fixture.environment.write { txn in
                let writer = try fixture.index.writer(in: txn)
                #expect(try writer.get(key(subject: 2, suffix: 1)) == [1])
            }
        }
    }

    @Test("pending puts are stored when the transaction commits, and only then; every caller shares them")
    func flushesAtCommit() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path)
            let first = key(subject: 1, suffix: 1)
            try fixture.environment.write { txn in
                try fixture.index.writer(in: txn).put(first, [1])
                // Another caller in the same transaction sees the put through the same writer.
                #expect(try fixture.index.view(in: txn).get(first) == [1])
            }
            try fixture.environment.writeAndDiscard { txn in
                try fixture.index.writer(in: txn).put(key(subject: 2, suffix: 1), [2])
            }
            try fixture.environment.read { txn in
                let reader = try fixture.index.reader(in: txn)
                #expect(try reader.get(first) == [1])
                #expect(try reader.get(key(subject: 2, suffix: 1)) == nil)
                #expect(try fixture.index.runs(in: txn).count == 1)
            }
            // Emptying after a put drops the put too, and the old writer's flush does nothing.
            try fixture.environment.write { txn in
                try fixture.index.writer(in: txn).put(key(subject: 3, suffix: 1), [3])
                try fixture.index.empty(in: txn)
                try fixture.index.writer(in: txn).put(key(subject: 4, suffix: 1), [4])
            }
            try fixture.environment.read { txn in
                let reader = try fixture.index.reader(in: txn)
                #expect(try reader.get(key(subject: 3, suffix: 1)) == nil)
                #expect(try reader.get(key(subject: 4, suffix: 1)) == [4])
                let stored = try fixture.index.scanChecking(in: txn) { _, _ in }
                #expect(stored == 1)
            }
        }
    }

    @Test("a bulk writer's puts are stored sorted, the last of equal keys winning, and merge like any")
    func bulkWriterLoads() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path)
            var random = SplitMix64(seed: 11)
            var model: [[UInt8]: [UInt8]] = [:]
            try fixture.environment.write { txn in
                let writer = try fixture.index.bulkWriter(in: txn)
                for round in 0..<6 {
                    for _ in 0..<700 {
                        let k = key(subject: Int(random.next() % 50), suffix: Int(random.next() % 40))
                        let v = Array("v\(round) \(random.next() % 100)".utf8)
                        writer.put(k, v)
                        model[k] = v
                    }
                    try writer.flush()
                }
                try fixture.index.compactFully(in: txn)
            }
            try fixture.environment.read { txn in
                #expect(try fixture.index.runs(in: txn).count == 1)
                let reader = try fixture.index.reader(in: txn)
                for (k, v) in model { #expect(try reader.get(k) == v) }
                let stored = try fixture.index.scanChecking(in: txn) { _, _ in }
                #expect(stored == UInt64(model.count))
            }
        }
    }

    @Test("runs written a few entries at a time, while new puts collect, store what one flush would")
    func runsWrittenInSteps() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path, fanIn: 4)
            var random = SplitMix64(seed: 12)
            var model: [[UInt8]: [UInt8]] = [:]
            var weights: [UInt64] = []
            // The distinct keys each round put: a run holds each key once.
            var roundKeys: [Set<[UInt8]>] = []
            try fixture.environment.write { txn in
                let writer = try fixture.index.bulkWriter(in: txn)
                for round in 0..<9 {
                    roundKeys.append([])
                    // Adopted lists and loose puts, with keys repeated within and across rounds.
                    for part in 0..<3 {
                        let sorted = SortedPuts()
                        for _ in 0..<300 {
                            let k = key(subject: Int(random.next() % 40), suffix: Int(random.next() % 30))
                            let v = Array("v\(round).\(part) \(random.next() % 100)".utf8)
                            sorted.put(k, v)
                            model[k] = v
                            roundKeys[round].insert(k)
                        }
                        sorted.sort()
                        writer.adopt(sorted)
                        // The run begun before is written a little after each list.
                        _ = try writer.continueRun(entries: Int(random.next() % 200))
                    }
                    // Weights that fall, then stay: 16, 16, 4, 4, 4, 4, 1, 1, 1 (fan-in 4).
                    let weight: UInt64 = round < 2 ? 16 : round < 6 ? 4 : 1
                    try writer.beginRun(weight: weight)
                    weights.insert(weight, at: 0)
                    #expect(writer.isWritingRun)
                }
                while try writer.continueRun(entries: 97) {}
                #expect(!writer.isWritingRun)
            }
            try fixture.environment.read { txn in
                let runs = try fixture.index.runs(in: txn)
                // Four runs of weight 4 merged into one of 16 when the fourth was stored; the three
                // runs of weight 16 stay apart (only the newest four are ever merged).
                #expect(runs.map(\.weight) == [1, 1, 1, 16, 16, 16])
                // Newest first: rounds 8, 7, 6; the merge of rounds 2 to 5; rounds 1 and 0.
                let merged = roundKeys[2...5].reduce(into: Set<[UInt8]>()) { $0.formUnion($1) }
                let expected =
                    [8, 7, 6].map { roundKeys[$0].count } + [merged.count] + [1, 0].map { roundKeys[$0].count }
                #expect(runs.map { Int($0.entries) } == expected)
                let reader = try fixture.index.reader(in: txn)
                for (k, v) in model { #expect(try reader.get(k) == v) }
                let stored = try fixture.index.scanChecking(in: txn) { _, _ in }
                #expect(UInt64(model.count) <= stored)
                try fixture.index.checkDirectory(in: txn)
            }
        }
    }

    /// A bulk writer holding `count` keys of subject 1, of which a run has been begun and partly
    /// written when `body` runs.
    private func withRunHalfWritten(
        _ fixture: RunIndexFixture, keys count: Int, _ body: (Transaction, RunIndexWriter) throws -> Void
    ) throws {
        try fixture.environment.write { txn in
            let writer = try fixture.index.bulkWriter(in: txn)
            for suffix in 0..<count { writer.put(key(subject: 1, suffix: suffix), [UInt8(suffix % 251)]) }
            try writer.beginRun(weight: 1)
            #expect(try writer.continueRun(entries: count / 2))
            try body(txn, writer)
        }
    }

    @Test("a run still being written at commit is finished and stored by the commit")
    func runFinishedByCommit() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path)
            try withRunHalfWritten(fixture, keys: 500) { _, writer in #expect(writer.isWritingRun) }
            try fixture.environment.read { txn in
                let runs = try fixture.index.runs(in: txn)
                #expect(runs.map(\.entries) == [500])
                let reader = try fixture.index.reader(in: txn)
                for suffix in [0, 249, 250, 499] {
                    #expect(try reader.get(key(subject: 1, suffix: suffix)) == [UInt8(suffix % 251)])
                }
                try fixture.index.checkDirectory(in: txn)
            }
        }
    }

    @Test("continueRun given exactly the entries left stores the run at the next call, not before")
    func runStoredWhenNothingIsLeft() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path)
            try fixture.environment.write { txn in
                let writer = try fixture.index.bulkWriter(in: txn)
                for suffix in 0..<10 { writer.put(key(subject: 2, suffix: suffix), [1]) }
                try writer.beginRun(weight: 1)
                #expect(try writer.continueRun(entries: 10))
                #expect(try fixture.index.runs(in: txn).isEmpty)
                #expect(try !writer.continueRun(entries: 10))
                #expect(try fixture.index.runs(in: txn).map(\.entries) == [10])
                #expect(try !writer.continueRun(entries: 10))
            }
        }
    }

    @Test("emptying the index while a run is half written leaves an empty, whole index")
    func emptyWhileWritingRun() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path)
            try withRunHalfWritten(fixture, keys: 400) { txn, _ in try fixture.index.empty(in: txn) }
            try fixture.environment.read { txn throws in
                #expect(try fixture.index.runs(in: txn).isEmpty)
                #expect(try fixture.index.checkDirectory(in: txn) == 0)
                #expect(try fixture.index.reader(in: txn).get(key(subject: 1, suffix: 0)) == nil)
            }
            // The dropped run was never listed nor its filter cached, so its number may be given
            // again: the next run is stored and found whole.
            try fixture.environment.write { txn in
                try fixture.index.writer(in: txn).put(key(subject: 3, suffix: 0), [9])
            }
            try fixture.environment.read { txn throws in
                #expect(try fixture.index.reader(in: txn).get(key(subject: 3, suffix: 0)) == [9])
                #expect(try fixture.index.checkDirectory(in: txn) == 1)
            }
        }
    }

    @Test("compacting fully while a run is half written keeps every entry, in one run")
    func compactWhileWritingRun() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path)
            try fixture.environment.write { txn in
                try fixture.index.writer(in: txn).put(key(subject: 0, suffix: 0), [7])
            }
            try withRunHalfWritten(fixture, keys: 300) { txn, _ in try fixture.index.compactFully(in: txn) }
            try fixture.environment.read { txn in
                #expect(try fixture.index.runs(in: txn).map(\.entries) == [301])
                let reader = try fixture.index.reader(in: txn)
                #expect(try reader.get(key(subject: 0, suffix: 0)) == [7])
                for suffix in 0..<300 {
                    #expect(try reader.get(key(subject: 1, suffix: suffix)) == [UInt8(suffix % 251)])
                }
                try fixture.index.checkDirectory(in: txn)
            }
        }
    }

    @Test("a run's weight for a number of flushes is the largest power of the fan-in not above it")
    func weightsOfFlushes() {
        let cases: [(UInt64, UInt64)] = [(0, 1), (1, 1), (7, 1), (8, 8), (63, 8), (64, 64), (200, 64), (512, 512)]
        for (flushes, weight) in cases { #expect(RunIndexWriter.weight(ofFlushes: flushes, fanIn: 8) == weight) }
        #expect(RunIndexWriter.isPower(1, of: 8) && RunIndexWriter.isPower(64, of: 8))
        #expect(!RunIndexWriter.isPower(0, of: 8) && !RunIndexWriter.isPower(32, of: 8))
    }

    @Test("two-part filters: scans by subject or by subject and field find every entry, and skip runs")
    func twoPartFilters() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path, scope: .zeroTerminatedParts(2))
            func twoPart(_ subject: Int, _ field: Int, _ suffix: Int) -> [UInt8] {
                Array("s\(subject)".utf8) + [0] + Array("f\(field)".utf8) + [0] + BigEndian.bytes(UInt32(suffix))
            }
            var model: [[UInt8]: [UInt8]] = [:]
            for round in 0..<12 {
                try fixture.environment.write { txn in
                    let writer = try fixture.index.writer(in: txn)
                    for item in 0..<40 {
                        let k = twoPart(item % 7, (round + item) % 5, round * 100 + item)
                        writer.put(k, [UInt8(item)])
                        model[k] = [UInt8(item)]
                    }
                }
            }
            try fixture.environment.read { txn in
                let reader = try fixture.index.reader(in: txn)
                for subject in 0..<7 {
                    let prefix = Array("s\(subject)".utf8) + [0]
                    #expect(
                        try reader.entries(withPrefix: prefix).count
                            == model.keys.filter { $0.starts(with: prefix) }.count)
                    for field in 0..<6 {
                        let fieldPrefix = prefix + Array("f\(field)".utf8) + [0]
                        let expected = model.filter { $0.key.starts(with: fieldPrefix) }.sorted {
                            compareBytes($0.key, $1.key) < 0
                        }
                        #expect(try reader.entries(withPrefix: fieldPrefix).map(\.key) == expected.map(\.key))
                    }
                }
                let stored = try fixture.index.scanChecking(in: txn) { _, _ in }
                #expect(stored == UInt64(model.count))
                // A field nobody has reads no run at all.
                let before = txn.readCount
                _ = try reader.entries(withPrefix: Array("s1".utf8) + [0] + Array("f9".utf8) + [0])
                #expect(txn.readCount - before <= 2, "filters should rule out (nearly) every run")
            }
        }
    }

    @Test(
        "a newest-first visit of keys growing with time gives the reverse scan's entries, and stops in the newest run")
    func newestFirstVisit() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path, scope: .zeroTerminatedParts(2), fanIn: 8)
            func versionKey(_ subject: Int, _ field: Int, _ sequence: Int) -> [UInt8] {
                Array("s\(subject)".utf8) + [0] + Array("f\(field)".utf8) + [0] + BigEndian.bytes(UInt64(sequence))
            }
            // Keys whose suffix grows with every transaction, as provenance's sequence numbers do:
            // forty flushes leave runs of several sizes, and each subject's field in many of them.
            var sequence = 0
            var model: [[UInt8]: [UInt8]] = [:]
            for _ in 0..<40 {
                try fixture.environment.write { txn in
                    let writer = try fixture.index.writer(in: txn)
                    for item in 0..<30 {
                        sequence += 1
                        let k = versionKey(item % 6, item % 4, sequence)
                        writer.put(k, [UInt8(item)])
                        model[k] = [UInt8(item)]
                    }
                }
            }
            func newestFirst(_ view: any RunIndexView, _ prefix: [UInt8], limit: Int, newerThan floor: UInt64? = nil)
                throws -> [RunEntry]
            {
                var found: [RunEntry] = []
                try view.forEachEntryNewestFirst(growingWithRecency: prefix, newerThan: floor) { key, value in
                    found.append(RunEntry(key: Array(key), value: Array(value)))
                    return found.count < limit
                }
                return found
            }
            try fixture.environment.read { txn in
                let reader = try fixture.index.reader(in: txn)
                #expect(try fixture.index.runs(in: txn).count > 3)
                for subject in 0..<7 {
                    for field in 0..<5 {
                        let prefix = Array("s\(subject)".utf8) + [0] + Array("f\(field)".utf8) + [0]
                        for limit in [1, 3, Int.max] {
                            #expect(
                                try newestFirst(reader, prefix, limit: limit)
                                    == expectedBackwards(model, prefix, stoppingAfter: limit))
                        }
                    }
                }
                // The newest entry costs one seek into the newest run, where the merged scan seeks
                // into every run that holds the field.
                let prefix = Array("s1".utf8) + [0] + Array("f1".utf8) + [0]
                var before = txn.readCount
                _ = try newestFirst(reader, prefix, limit: 1)
                let lazy = txn.readCount - before
                before = txn.readCount
                _ = try backwards(reader, prefix, stoppingAfter: 1)
                let merged = txn.readCount - before
                #expect(lazy <= 2)
                #expect(merged > lazy + 2)
            }
            // In a write transaction the pending puts come first, then what was stored since a floor.
            let floor = try fixture.environment.read { try fixture.index.recencyFloor(in: $0) }
            try fixture.environment.writeAndDiscard { txn in
                let writer = try fixture.index.writer(in: txn)
                writer.put(versionKey(2, 2, 10_000), [1])
                try writer.flush()
                writer.put(versionKey(2, 2, 10_001), [2])
                let prefix = Array("s2".utf8) + [0] + Array("f2".utf8) + [0]
                #expect(
                    try newestFirst(writer, prefix, limit: 3, newerThan: floor).map(\.key) == [
                        versionKey(2, 2, 10_001), versionKey(2, 2, 10_000),
                    ])
                var all = model
                all[versionKey(2, 2, 10_000)] = [1]
                all[versionKey(2, 2, 10_001)] = [2]
                #expect(
                    try newestFirst(writer, prefix, limit: .max) == expectedBackwards(all, prefix, stoppingAfter: .max))
            }
        }
    }

    @Test("a newest-first visit refuses a run whose keys are not below the newer runs' (the premise broken)")
    func newestFirstPremise() throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path, scope: .zeroTerminatedParts(2))
            let prefix = Array("s".utf8) + [0] + Array("f".utf8) + [0]
            // The older run holds the greater key.
            for suffix in [UInt64(9), 1] {
                try fixture.environment.write { txn in
                    try fixture.index.writer(in: txn).put(prefix + BigEndian.bytes(suffix), [0])
                }
            }
            try fixture.environment.read { txn in
                let reader = try fixture.index.reader(in: txn)
                // Stopping in the newest run reads no further and finds nothing wrong.
                try reader.forEachEntryNewestFirst(growingWithRecency: prefix, newerThan: nil) { _, _ in false }
                #expect(throws: RunIndexDamage.self) {
                    try reader.forEachEntryNewestFirst(growingWithRecency: prefix, newerThan: nil) { _, _ in true }
                }
            }
        }
    }

    @Test(
        "damage is reported: a stray entry, a run whose count is wrong, a missing filter (by the full scan and the directory check)",
        arguments: [true, false])
    func damageIsReported(fullScan: Bool) throws {
        try withTemporaryDirectory { path in
            let fixture = try RunIndexFixture(path)
            // A first run, emptied away: the listed run is then run 2, and run 1 is not listed.
            try fixture.environment.write { txn in
                let writer = try fixture.index.writer(in: txn)
                writer.put(key(subject: 99, suffix: 0), [0])
                try writer.flush()
                try fixture.index.empty(in: txn)
            }
            try fixture.environment.write { txn in
                let writer = try fixture.index.writer(in: txn)
                for item in 0..<10 { writer.put(key(subject: item, suffix: item), [UInt8(item)]) }
                try writer.flush()
            }
            let run = try fixture.environment.read { try fixture.index.runs(in: $0)[0].id }
            #expect(run > 1)
            func damaged(_ change: (Transaction) throws -> Void) throws -> String? {
                var problem: String?
                try fixture.environment.writeAndDiscard { txn in
                    try change(txn)
                    do {
                        if fullScan {
                            try fixture.index.scanChecking(in: txn) { _, _ in }
                        } else {
                            #expect(try fixture.index.checkDirectory(in: txn) == 10)
                        }
                    } catch let damage as RunIndexDamage {
                        problem = damage.problem
                    }
                }
                return problem
            }
            #expect(try damaged { _ in } == nil)
            let database = fixture.index.database
            let unlisted = try damaged { try $0.put(database, key: BigEndian.bytes(run + 5) + [1], value: [1]) }
            #expect(
                unlisted?.contains(fullScan ? "does not list" : "outside every listed run") == true,
                "\(unlisted ?? "nothing")")
            // Before the first listed run and after the last, too.
            let first = try damaged { try $0.put(database, key: BigEndian.bytes(UInt32(1)) + [1], value: [1]) }
            #expect(
                first?.contains(fullScan ? "does not list" : "outside every listed run") == true,
                "\(first ?? "nothing")")
            let last = try damaged { try $0.put(database, key: BigEndian.bytes(UInt32.max) + [1], value: [1]) }
            #expect(
                last?.contains(fullScan ? "does not list" : "outside every listed run") == true, "\(last ?? "nothing")")
            // Among the directory and the filters: a stray entry, or a key shorter than a run number.
            let strayMeta = try damaged { try $0.put(database, key: [0, 0, 0, 0, 9], value: [1]) }
            #expect(strayMeta?.contains("outside every run") == true, "\(strayMeta ?? "nothing")")
            let short = try damaged { try $0.put(database, key: [0, 0], value: [1]) }
            #expect(short != nil, "\(short ?? "nothing")")
            let extra = try damaged {
                try $0.put(database, key: BigEndian.bytes(run) + key(subject: 3, suffix: 999), value: [1])
            }
            #expect(extra?.contains("entries where its directory says") == true, "\(extra ?? "nothing")")
            let noFilter = try damaged { try $0.delete(database, key: RunIndex.filterKey(run)) }
            #expect(noFilter?.contains("no filter") == true, "\(noFilter ?? "nothing")")
            let emptyFilter = try damaged {
                try $0.put(database, key: RunIndex.filterKey(run), value: [UInt8](repeating: 0, count: 64))
            }
            // Only reading every key shows what a filter leaves out.
            #expect(
                fullScan ? emptyFilter?.contains("filter leaves out") == true : emptyFilter == nil,
                "\(emptyFilter ?? "nothing")")
            let staleFilter = try damaged {
                try $0.put(database, key: RunIndex.filterKey(run + 7), value: [UInt8](repeating: 0, count: 64))
            }
            #expect(staleFilter != nil, "a filter of no listed run was not noticed")
            let directory = try damaged { try $0.put(database, key: RunIndex.directoryKey, value: [9, 9]) }
            #expect(directory?.contains("malformed") == true, "\(directory ?? "nothing")")
        }
    }

    @Test("the directory's encoding round-trips and refuses what it cannot be")
    func directoryEncoding() {
        var directory = RunDirectory()
        directory.nextRunID = 9
        directory.nextRecency = 20
        directory.runs = [
            RunDescriptor(id: 8, recency: 19, weight: 1, entries: 5),
            RunDescriptor(id: 3, recency: 4, weight: 16, entries: 4_100),
        ]
        #expect(RunDirectory(decoding: directory.encoded()) == directory)
        var wrongOrder = directory
        wrongOrder.runs.reverse()
        #expect(RunDirectory(decoding: wrongOrder.encoded()) == nil)
        #expect(RunDirectory(decoding: Array(directory.encoded().dropLast())) == nil)
        var reused = directory
        reused.nextRunID = 8
        #expect(RunDirectory(decoding: reused.encoded()) == nil)
        #expect(RunIndexWriter.mergeableGroup(directory.runs, fanIn: 2) == nil)
        let four = (0..<4).map { RunDescriptor(id: UInt32(9 - $0), recency: UInt64(30 - $0), weight: 4, entries: 9) }
        #expect(RunIndexWriter.mergeableGroup(four + directory.runs, fanIn: 4) == 0..<4)
        #expect(RunIndexWriter.mergeableGroup(Array(four.prefix(3)) + directory.runs, fanIn: 4) == nil)
    }

    @Test("a filter admits every key it holds and about 1 % of others")
    func filterRates() {
        var random = SplitMix64(seed: 3)
        let members = (0..<20_000).map { _ in BigEndian.bytes(random.next()) }
        let filter = RunFilter.build(hashes: members.map(RunFilter.hash))
        #expect(filter.count == RunFilter.blockCount(forKeys: 20_000) * RunFilter.blockBytes)
        filter.withUnsafeBytes { bits in
            #expect(members.allSatisfy { RunFilter.mayContain(RunFilter.hash($0), filter: bits) })
            let strangers = (0..<100_000).filter { _ in
                RunFilter.mayContain(RunFilter.hash(BigEndian.bytes(random.next())), filter: bits)
            }
            #expect(strangers.count < 3_000, "false-positive rate \(Double(strangers.count) / 1e3) %")
        }
        // Known answers pin the hash down for auditors' own implementations (docs/FORMAT.md).
        #expect(RunFilter.hash(Array("".utf8)) == RunFilter.mix(0xcbf2_9ce4_8422_2325))
        #expect(RunFilter.hash(Array("person-1\u{0}".utf8)) == 0x950b_bb92_d9d2_9121)
    }
}
