import CLMDB
import Foundation

/// Which leading part of a key a run's filter covers. Lookups and prefix scans that name at least
/// that part skip the runs whose filter rules it out.
public enum FilterScope: Sendable, Equatable {
    /// The whole key: point lookups skip runs; prefix scans read every run.
    case wholeKey
    /// Up to and including the first 0x00 byte (the whole key when it has none), for keys that start
    /// with a 0-terminated subject: every scan of one subject's entries skips the runs without them.
    case throughFirstZero

    /// The length of the part of `key` the filter covers, or `nil` when `key` is a prefix too short
    /// to contain it.
    @inline(__always)
    func filterKeyLength(_ key: UnsafeRawBufferPointer, isPrefix: Bool = false) -> Int? {
        switch self {
        case .wholeKey:
            return isPrefix ? nil : key.count
        case .throughFirstZero:
            if let zero = key.firstIndex(of: 0) { return zero + 1 }
            return isPrefix ? nil : key.count
        }
    }
}

/// A stored index that is not what its structure says: a malformed directory, an entry outside any
/// run, a run whose count or filter disagrees with its entries.
public struct RunIndexDamage: Error, Equatable, Sendable, CustomStringConvertible {
    public let database: String
    public let problem: String
    public var description: String { "\(database): \(problem)" }
}

/// One key and value of a ``RunIndex``, copied out of the map.
public struct RunEntry: Equatable, Sendable {
    public let key: [UInt8]
    public let value: [UInt8]
}

/// A key-value index kept in one LMDB database as immutable sorted runs, the way a log-structured
/// merge tree keeps them, so that the random keys a write transaction adds (one per event, keyed by a
/// person or a random id) cost a sequential append of one new run instead of a rewritten 4 KiB page
/// each. The newest `fanIn` runs are merged into one whenever they hold equally many flushes (see
/// ``RunDescriptor/weight``), so after n flushes there are at most (`fanIn` − 1)·log₄ n runs and every
/// entry has been rewritten, sequentially, about log₄ n times; a blocked Bloom filter per run
/// (``RunFilter``) lets lookups skip the runs that cannot hold their key.
///
/// Physical layout (docs/FORMAT.md, "Sorted runs"): the key `00000000 ‖ "runs"` holds the
/// ``RunDirectory``; `00000000 ‖ "filter" ‖ run` holds each run's filter; and every entry is stored
/// under `run (4 bytes, big-endian, from 1) ‖ key`. Where the same key is in several runs, the newest
/// run's value is the index's.
///
/// Reads go through a ``RunIndexReader``; a write transaction's puts collect in a ``RunIndexWriter``
/// and become one run when it is flushed, before the transaction commits.
public final class RunIndex: Sendable {
    public let database: Database
    public let scope: FilterScope
    /// How many runs of one size class are merged into one.
    public let fanIn: Int
    let filterCache = RunFilterCache()

    static let metaPrefix: [UInt8] = [0, 0, 0, 0]
    static let directoryKey: [UInt8] = metaPrefix + Array("runs".utf8)
    static let filterKeyPrefix: [UInt8] = metaPrefix + Array("filter".utf8)
    static func filterKey(_ run: UInt32) -> [UInt8] { filterKeyPrefix + BigEndian.bytes(run) }

    public init(database: Database, scope: FilterScope, fanIn: Int = 4) {
        precondition(fanIn >= 2, "merging fewer than two runs would never end")
        self.database = database
        self.scope = scope
        self.fanIn = fanIn
    }

    func damage(_ problem: String) -> RunIndexDamage { RunIndexDamage(database: database.name, problem: problem) }

    func directory(in txn: Transaction) throws -> RunDirectory {
        guard let bytes = try txn.get(database, key: Self.directoryKey) else { return RunDirectory() }
        guard let directory = RunDirectory(decoding: bytes) else { throw damage("the run directory is malformed") }
        return directory
    }

    /// The view of the index as `txn` sees it, one per transaction. It must not outlive the
    /// transaction. In a write transaction it does not see the writer's pending puts: use ``view(in:)``.
    public func reader(in txn: Transaction) throws -> RunIndexReader {
        if txn.isWritable { return try writer(in: txn).reader }
        return try txn.memo(for: self) { try RunIndexReader(index: self, txn: txn, directory: directory(in: txn)) }
    }

    /// The write transaction's puts to this index, one writer per transaction, shared by every caller
    /// so that each sees the others' pending puts. They are stored as one run by
    /// ``RunIndexWriter/flush()``, which runs by itself before the transaction commits.
    public func writer(in txn: Transaction) throws -> RunIndexWriter {
        precondition(txn.isWritable, "a run index writer needs a write transaction")
        return try txn.memo(for: self) {
            let writer = RunIndexWriter(
                reader: try RunIndexReader(index: self, txn: txn, directory: directory(in: txn)))
            txn.beforeCommit { try writer.flush() }
            return writer
        }
    }

    /// What `txn` sees: the writer (stored runs and pending puts) in a write transaction, the reader
    /// otherwise.
    public func view(in txn: Transaction) throws -> any RunIndexView {
        txn.isWritable ? try writer(in: txn) : try reader(in: txn)
    }

    /// The runs, newest first.
    public func runs(in txn: Transaction) throws -> [RunDescriptor] { try directory(in: txn).runs }

    /// The number of entries, as the directory counts them (a key stored in two runs counts twice).
    public func entryCount(in txn: Transaction) throws -> UInt64 { try directory(in: txn).entryCount }

    /// Removes every run. Run numbers and recencies carry on from where they were, so a number is
    /// never given to two different runs (filters are cached by run number).
    public func empty(in txn: Transaction) throws {
        // Puts made before emptying are emptied with the rest.
        txn.existingMemo(for: self, as: RunIndexWriter.self)?.abandon()
        txn.forgetMemo(for: self)
        let old = try directory(in: txn)
        try txn.empty(database)
        var emptied = RunDirectory()
        emptied.nextRunID = old.nextRunID
        emptied.nextRecency = old.nextRecency
        try txn.put(database, key: Self.directoryKey, value: emptied.encoded())
    }

    /// Merges every run into one, as a rebuild finishes: the layout that reads fastest.
    public func compactFully(in txn: Transaction) throws {
        if let writer = txn.existingMemo(for: self, as: RunIndexWriter.self) {
            try writer.flush()
            writer.abandon()
        }
        txn.forgetMemo(for: self)
        var directory = try directory(in: txn)
        guard directory.runs.count > 1 else { return }
        try RunMerger(index: self, txn: txn).merge(0..<directory.runs.count, in: &directory)
        try txn.put(database, key: Self.directoryKey, value: directory.encoded())
    }

    /// Walks the whole database once in key order, checking its structure — every entry inside a
    /// listed run, each run's count as listed, each run's filter present and admitting every one of its
    /// keys, nothing else stored — and calls `body` with every entry's key and value, lent in place.
    /// Returns the number of entries; throws ``RunIndexDamage`` at the first disagreement.
    @discardableResult
    public func scanChecking(
        in txn: Transaction, _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void
    ) throws -> UInt64 {
        let directory = try directory(in: txn)
        let listed = Dictionary(uniqueKeysWithValues: directory.runs.map { ($0.id, $0) })
        var filters: [UInt32: [UInt8]] = [:]
        var counted: [UInt32: UInt64] = [:]
        var total: UInt64 = 0
        try txn.withCursor(database) { cursor in
            var move = Cursor.Move.first
            while let stop: Bool = try cursor.withEntry(
                move,
                { key, value in
                    move = .next
                    guard key.count >= 4 else { throw damage("a key shorter than a run number is stored") }
                    let run = UInt32(key[0]) << 24 | UInt32(key[1]) << 16 | UInt32(key[2]) << 8 | UInt32(key[3])
                    if run == 0 {
                        let name = Array(key.dropFirst(4))
                        if name == Array(Self.directoryKey.dropFirst(4)) { return false }
                        let prefix = Self.filterKeyPrefix.dropFirst(4)
                        guard name.count == prefix.count + 4, name.starts(with: prefix),
                            let filterRun = BigEndian.uint32(Array(name.suffix(4))), listed[filterRun] != nil
                        else { throw damage("an entry outside every run is stored") }
                        filters[filterRun] = Array(value)
                        return false
                    }
                    guard listed[run] != nil else {
                        throw damage("entries of run \(run), which the directory does not list, are stored")
                    }
                    guard let filter = filters[run] else { throw damage("run \(run) has no filter") }
                    let logical = UnsafeRawBufferPointer(rebasing: key[4...])
                    let filterLength = scope.filterKeyLength(logical) ?? logical.count
                    let admitted = filter.withUnsafeBytes { bits in
                        RunFilter.mayContain(
                            RunFilter.hash(UnsafeRawBufferPointer(rebasing: logical[..<filterLength])), filter: bits)
                    }
                    guard admitted else { throw damage("run \(run)'s filter leaves out one of its keys") }
                    counted[run, default: 0] += 1
                    total += 1
                    try body(logical, value)
                    return false
                })
            {
                if stop { break }
            }
        }
        for run in directory.runs where (counted[run.id] ?? 0) != run.entries {
            throw damage("run \(run.id) holds \(counted[run.id] ?? 0) entries where its directory says \(run.entries)")
        }
        for run in directory.runs where filters[run.id] == nil {
            throw damage("run \(run.id) has no filter")
        }
        return total
    }
}

/// Lookups and prefix scans over a ``RunIndex`` as one transaction sees it.
public protocol RunIndexView: AnyObject {
    /// The value of `key` in the newest run (or pending put) holding it, copied out.
    func get(_ key: [UInt8]) throws -> [UInt8]?
    /// Every entry whose key starts with `prefix`, in key order, the newest value of each key.
    func entries(withPrefix prefix: [UInt8]) throws -> [RunEntry]
}

/// A read view of a ``RunIndex`` in one transaction: point lookups and prefix scans over every run,
/// the newest run's value winning where runs share a key.
public final class RunIndexReader: RunIndexView {
    let index: RunIndex
    let txn: Transaction
    private(set) var directory: RunDirectory
    /// Per run of `directory`, its filter once fetched.
    private var filters: [RunFilterBytes?]
    private var physicalKey: [UInt8] = []

    init(index: RunIndex, txn: Transaction, directory: RunDirectory) throws {
        self.index = index
        self.txn = txn
        self.directory = directory
        filters = Array(repeating: nil, count: directory.runs.count)
        if txn.isWritable {
            // A write transaction may move the pages it changes, so it reads filters from copies, kept
            // across transactions: a run never changes once committed, and its number is never reused.
            filters = try index.filterCache.filters(for: directory.runs, index: index, txn: txn)
        }
    }

    /// Starts over from a directory this transaction has just stored (after a flush). The new runs'
    /// filters are read from this transaction and kept out of the shared cache: it may abort.
    func reload(_ directory: RunDirectory, newRuns: [UInt32: [UInt8]]) throws {
        var kept: [UInt32: RunFilterBytes] = [:]
        for (run, filter) in zip(self.directory.runs, filters) { kept[run.id] = filter }
        self.directory = directory
        filters = directory.runs.map { run in kept[run.id] ?? newRuns[run.id].map(RunFilterBytes.init(copying:)) }
    }

    /// The run's filter; fetched on first use in a read-only transaction (its pages stay put until it ends).
    private func filter(_ position: Int) throws -> RunFilterBytes? {
        if let known = filters[position] { return known }
        let run = directory.runs[position]
        let fetched = try RunFilterBytes(inPlace: RunIndex.filterKey(run.id), index: index, txn: txn)
        guard let fetched else { throw index.damage("run \(run.id) has no filter") }
        filters[position] = fetched
        return fetched
    }

    /// The runs that may hold a key whose filter key hashes to `hash`, newest first.
    private func candidateRuns(hash: UInt64?) throws -> [Int] {
        var candidates: [Int] = []
        for position in directory.runs.indices {
            if let hash, let filter = try filter(position), !filter.mayContain(hash) { continue }
            candidates.append(position)
        }
        return candidates
    }

    private func setPhysicalKey(run: UInt32, _ key: [UInt8]) {
        physicalKey.removeAll(keepingCapacity: true)
        physicalKey.append(UInt8(run >> 24))
        physicalKey.append(UInt8(run >> 16 & 0xff))
        physicalKey.append(UInt8(run >> 8 & 0xff))
        physicalKey.append(UInt8(run & 0xff))
        physicalKey.append(contentsOf: key)
    }

    /// Calls `body` with the value stored for `key` in the newest run holding it (or `nil`), lent in
    /// place: it must not escape `body`.
    public func withValue<T>(_ key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws -> T) throws -> T {
        let hash = key.withUnsafeBytes { bytes in
            RunFilter.hash(
                UnsafeRawBufferPointer(rebasing: bytes[..<(index.scope.filterKeyLength(bytes) ?? bytes.count)]))
        }
        for position in try candidateRuns(hash: hash) {
            setPhysicalKey(run: directory.runs[position].id, key)
            var value = MDB_val()
            let code = physicalKey.withUnsafeBytes { keyBytes -> Int32 in
                var k = MDB_val(
                    mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                return mdb_get(txn.handle, index.database.handle, &k, &value)
            }
            txn.countRead()
            if code == MDB_NOTFOUND { continue }
            try check(code, "mdb_get(\(index.database.name))")
            return try body(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
        }
        return try body(nil)
    }

    /// The value of `key` in the newest run holding it, copied out.
    public func get(_ key: [UInt8]) throws -> [UInt8]? {
        try withValue(key) { $0.map { Array($0) } }
    }

    /// Every entry whose key starts with `prefix`, in key order, the newest run's where several hold
    /// one key. A prefix that names the filtered part of the key (a subject and its 0x00, in a
    /// `.throughFirstZero` index) reads only the runs that may hold it.
    public func entries(withPrefix prefix: [UInt8]) throws -> [RunEntry] {
        let hash: UInt64? = prefix.withUnsafeBytes { bytes in
            index.scope.filterKeyLength(bytes, isPrefix: true).map {
                RunFilter.hash(UnsafeRawBufferPointer(rebasing: bytes[..<$0]))
            }
        }
        var lists: [[RunEntry]] = []
        try txn.withCursor(index.database) { cursor in
            for position in try candidateRuns(hash: hash) {
                let run = directory.runs[position].id
                setPhysicalKey(run: run, prefix)
                let start = physicalKey
                var list: [RunEntry] = []
                var found = try cursor.withEntry(atLeast: start) { key, value in
                    Self.entry(key, value, ifStartsWith: start)
                }
                while let current = found, let entry = current {
                    list.append(entry)
                    found = try cursor.withEntry(.next) { key, value in Self.entry(key, value, ifStartsWith: start) }
                }
                if !list.isEmpty { lists.append(list) }
            }
        }
        return RunEntry.merge(lists)
    }

    private static func entry(
        _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, ifStartsWith start: [UInt8]
    )
        -> RunEntry?
    {
        guard key.count >= start.count,
            start.withUnsafeBytes({ memcmp($0.baseAddress!, key.baseAddress!, start.count) == 0 })
        else { return nil }
        return RunEntry(key: Array(key[4...]), value: Array(value))
    }
}

extension RunEntry {
    /// Merges lists that are each sorted by key, earlier lists winning ties (they are newer).
    static func merge(_ lists: [[RunEntry]]) -> [RunEntry] {
        if lists.count <= 1 { return lists.first ?? [] }
        var heads = [Int](repeating: 0, count: lists.count)
        var merged: [RunEntry] = []
        merged.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        while true {
            var best = -1
            for list in lists.indices where heads[list] < lists[list].count {
                if best < 0 || compareBytes(lists[list][heads[list]].key, lists[best][heads[best]].key) < 0 {
                    best = list
                }
            }
            guard best >= 0 else { return merged }
            let winner = lists[best][heads[best]]
            merged.append(winner)
            for list in lists.indices where heads[list] < lists[list].count {
                if compareBytes(lists[list][heads[list]].key, winner.key) == 0 { heads[list] += 1 }
            }
        }
    }
}

/// memcmp order of two byte strings, a shorter one first when it is a prefix of the other.
@inline(__always)
func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    let common = min(a.count, b.count)
    let order = a.withUnsafeBytes { x in
        b.withUnsafeBytes { y in common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common) }
    }
    if order != 0 { return Int(order) }
    return a.count - b.count
}

/// A write transaction's puts to one ``RunIndex``, readable (with the stored runs) before they are
/// stored, and stored as one new run by ``flush()``.
public final class RunIndexWriter: RunIndexView {
    public let reader: RunIndexReader
    private var pending: [[UInt8]: [UInt8]] = [:]
    /// The pending keys by filter key, for prefix scans; only kept for `.throughFirstZero` indexes.
    private var pendingByFilterKey: [[UInt8]: [[UInt8]]] = [:]

    init(reader: RunIndexReader) { self.reader = reader }

    public var pendingCount: Int { pending.count }
    /// Set once the index has been emptied or compacted under this writer: its flush does nothing.
    private var isAbandoned = false

    func abandon() {
        isAbandoned = true
        pending.removeAll()
        pendingByFilterKey.removeAll()
    }

    /// Sets `key` to `value` (replacing a pending put of the same key).
    public func put(_ key: [UInt8], _ value: [UInt8]) {
        precondition(!isAbandoned, "the index was emptied or compacted: ask it for a new writer")
        let isNew = pending.updateValue(value, forKey: key) == nil
        if isNew, reader.index.scope == .throughFirstZero {
            let length = key.withUnsafeBytes { reader.index.scope.filterKeyLength($0) ?? key.count }
            pendingByFilterKey[Array(key[..<length]), default: []].append(key)
        }
    }

    public func get(_ key: [UInt8]) throws -> [UInt8]? {
        if let value = pending[key] { return value }
        return try reader.get(key)
    }

    /// Like ``RunIndexReader/entries(withPrefix:)``, with the pending puts, which are newest.
    public func entries(withPrefix prefix: [UInt8]) throws -> [RunEntry] {
        let stored = try reader.entries(withPrefix: prefix)
        let candidates: [[UInt8]]
        if reader.index.scope == .throughFirstZero,
            let length = prefix.withUnsafeBytes({ reader.index.scope.filterKeyLength($0, isPrefix: true) })
        {
            candidates = pendingByFilterKey[Array(prefix[..<length])] ?? []
        } else {
            candidates = Array(pending.keys)
        }
        let fresh = candidates.filter { $0.starts(with: prefix) }.sorted { compareBytes($0, $1) < 0 }
            .map { RunEntry(key: $0, value: pending[$0]!) }
        return fresh.isEmpty ? stored : RunEntry.merge([fresh, stored])
    }

    /// Stores the pending puts as one new run, merges runs as the size classes require, and stores the
    /// directory. Call it once the transaction's puts are done, before it commits.
    public func flush() throws {
        guard !pending.isEmpty, !isAbandoned else { return }
        let index = reader.index
        let txn = reader.txn
        var directory = reader.directory
        let id = directory.nextRunID
        directory.nextRunID += 1
        let recency = directory.nextRecency
        directory.nextRecency += 1
        let keys = pending.keys.sorted { compareBytes($0, $1) < 0 }
        var output = RunOutput(index: index, txn: txn, run: id)
        for key in keys { try output.append(key, pending[key]!) }
        let filter = try output.finish()
        directory.runs.insert(RunDescriptor(id: id, recency: recency, weight: 1, entries: output.entries), at: 0)
        var newRuns = [id: filter]
        let merger = RunMerger(index: index, txn: txn)
        while let group = Self.mergeableGroup(directory.runs, fanIn: index.fanIn) {
            let merged = try merger.merge(group, in: &directory)
            newRuns[merged.id] = merged.filter
        }
        try txn.put(index.database, key: RunIndex.directoryKey, value: directory.encoded())
        pending.removeAll()
        pendingByFilterKey.removeAll()
        try reader.reload(directory, newRuns: newRuns)
    }
}

extension RunIndexWriter {
    /// The newest `fanIn` runs when they hold equally many flushes, else nil.
    static func mergeableGroup(_ runs: [RunDescriptor], fanIn: Int) -> Range<Int>? {
        guard runs.count >= fanIn, runs.prefix(fanIn).allSatisfy({ $0.weight == runs[0].weight }) else { return nil }
        return 0..<fanIn
    }
}

/// Writes one run's entries in key order (`MDB_APPEND`: the run's number is the largest yet) and
/// then its filter.
struct RunOutput {
    let index: RunIndex
    let txn: Transaction
    let run: UInt32
    private(set) var entries: UInt64 = 0
    private var physicalKey: [UInt8] = []
    private var hashes: [UInt64] = []
    private var lastFilterKey: [UInt8] = []

    init(index: RunIndex, txn: Transaction, run: UInt32) {
        self.index = index
        self.txn = txn
        self.run = run
    }

    mutating func append(_ key: [UInt8], _ value: [UInt8]) throws {
        try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in try append(keyBytes, valueBytes) }
        }
    }

    mutating func append(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        physicalKey.removeAll(keepingCapacity: true)
        physicalKey.append(contentsOf: BigEndian.bytes(run))
        physicalKey.append(contentsOf: key)
        try txn.put(index.database, key: physicalKey, bytes: value, flags: .append)
        entries += 1
        let length = index.scope.filterKeyLength(key) ?? key.count
        let filterKey = UnsafeRawBufferPointer(rebasing: key[..<length])
        // Keys arrive sorted, so equal filter keys are adjacent: hash each once.
        if entries == 1 || !lastFilterKey.elementsEqual(filterKey) {
            lastFilterKey.removeAll(keepingCapacity: true)
            lastFilterKey.append(contentsOf: filterKey)
            hashes.append(RunFilter.hash(filterKey))
        }
    }

    /// Stores the filter; returns it.
    mutating func finish() throws -> [UInt8] {
        let filter = RunFilter.build(hashes: hashes)
        try txn.put(index.database, key: RunIndex.filterKey(run), value: filter)
        return filter
    }
}

/// Merges the newest runs of an index into one: a k-way merge over cursors (which LMDB keeps valid
/// while the same transaction appends elsewhere in the database), then the old runs deleted.
struct RunMerger {
    let index: RunIndex
    let txn: Transaction

    /// Merges the consecutive runs `group` of `directory` into one run, which takes their place (and
    /// the newest one's recency). Returns the new run's number and filter.
    @discardableResult
    func merge(_ group: Range<Int>, in directory: inout RunDirectory) throws -> (id: UInt32, filter: [UInt8]) {
        let inputs = Array(directory.runs[group])
        let id = directory.nextRunID
        directory.nextRunID += 1
        var output = RunOutput(index: index, txn: txn, run: id)
        try withCursors(inputs.count) { cursors in
            var heads = try zip(cursors, inputs).map { cursor, run in
                try RunHead(cursor: cursor, run: run.id, index: index)
            }
            while true {
                var best = -1
                for position in heads.indices where heads[position].isValid {
                    if best < 0 || heads[position].compareKey(with: heads[best]) < 0 { best = position }
                }
                guard best >= 0 else { break }
                // Inputs are newest first, so the first with the smallest key is the value to keep.
                try heads[best].withCurrent { key, value in try output.append(key, value) }
                for position in heads.indices where position != best && heads[position].isValid {
                    if heads[position].compareKey(with: heads[best]) == 0 { try heads[position].advance() }
                }
                try heads[best].advance()
            }
        }
        let filter = try output.finish()
        for run in inputs { try delete(run: run.id) }
        directory.runs.replaceSubrange(
            group,
            with: [
                RunDescriptor(
                    id: id, recency: inputs[0].recency, weight: inputs.reduce(0) { $0 + $1.weight },
                    entries: output.entries)
            ])
        return (id, filter)
    }

    private func withCursors<T>(_ count: Int, _ body: ([OpaquePointer]) throws -> T) throws -> T {
        var cursors: [OpaquePointer] = []
        defer { for cursor in cursors { mdb_cursor_close(cursor) } }
        for _ in 0..<count {
            var cursor: OpaquePointer?
            try check(
                mdb_cursor_open(txn.handle, index.database.handle, &cursor), "mdb_cursor_open(\(index.database.name))")
            cursors.append(cursor!)
        }
        return try body(cursors)
    }

    /// Deletes every entry of `run`, and its filter.
    private func delete(run: UInt32) throws {
        let prefix = BigEndian.bytes(run)
        try withCursors(1) { cursors in
            let cursor = cursors[0]
            var key = MDB_val()
            var value = MDB_val()
            var code = prefix.withUnsafeBytes { bytes -> Int32 in
                key = MDB_val(mv_size: 4, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                return mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE)
            }
            while code == MDB_SUCCESS, key.mv_size >= 4,
                memcmp(key.mv_data, prefix, 4) == 0
            {
                let deleted =
                    txn.capture == nil ? nil : Array(UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size))
                try check(mdb_cursor_del(cursor, 0), "mdb_cursor_del(\(index.database.name))")
                if let deleted { txn.capture?.recordDelete(index.database, key: deleted) }
                // After a delete the cursor rests on the entry that followed (py-lmdb relies on the same).
                code = mdb_cursor_get(cursor, &key, &value, MDB_GET_CURRENT)
            }
            if code != MDB_SUCCESS && code != MDB_NOTFOUND && code != EINVAL {
                try check(code, "mdb_cursor_get(\(index.database.name))")
            }
        }
        try txn.delete(index.database, key: RunIndex.filterKey(run))
    }
}

/// One input of a merge: a cursor on a run's current entry, whose bytes are copied out before any
/// put can move them.
private struct RunHead {
    let cursor: OpaquePointer
    let prefix: [UInt8]
    private(set) var key: [UInt8] = []
    private(set) var value: [UInt8] = []
    private(set) var isValid = false
    let database: String

    init(cursor: OpaquePointer, run: UInt32, index: RunIndex) throws {
        self.cursor = cursor
        prefix = BigEndian.bytes(run)
        database = index.database.name
        var k = MDB_val()
        var v = MDB_val()
        let code = prefix.withUnsafeBytes { bytes -> Int32 in
            k = MDB_val(mv_size: 4, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
        }
        try take(code, &k, &v)
    }

    private mutating func take(_ code: Int32, _ k: inout MDB_val, _ v: inout MDB_val) throws {
        if code == MDB_NOTFOUND {
            isValid = false
            return
        }
        try check(code, "mdb_cursor_get(\(database))")
        guard k.mv_size >= 4, memcmp(k.mv_data, prefix, 4) == 0 else {
            isValid = false
            return
        }
        key.removeAll(keepingCapacity: true)
        key.append(contentsOf: UnsafeRawBufferPointer(start: k.mv_data + 4, count: k.mv_size - 4))
        value.removeAll(keepingCapacity: true)
        value.append(contentsOf: UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
        isValid = true
    }

    /// Moves to the run's next entry. LMDB keeps a cursor opened in a write transaction valid while
    /// the transaction writes elsewhere in the database (it tracks such cursors and fixes them up when
    /// pages are copied or split), so the merge can append its output while it reads its inputs.
    mutating func advance() throws {
        var k = MDB_val()
        var v = MDB_val()
        let code = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
        try take(code, &k, &v)
    }

    func compareKey(with other: RunHead) -> Int { compareBytes(key, other.key) }

    func withCurrent(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try body(k, v) } }
    }
}
