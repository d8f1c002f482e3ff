import CLMDB
import Foundation

/// Which leading parts of a key a run's filter covers. Lookups and prefix scans that name one of
/// them skip the runs whose filter rules it out.
public enum FilterScope: Sendable, Equatable {
    /// The whole key: point lookups skip runs; prefix scans read every run.
    case wholeKey
    /// Each of the key's first `parts` prefixes ending in a 0x00 byte: for keys that start with a
    /// 0-terminated subject (and, with 2, a 0-terminated field after it), so that a scan of one
    /// subject's entries, or of one subject's field, skips the runs without them.
    case zeroTerminatedParts(Int)

    /// One 0-terminated part: a subject.
    public static let throughFirstZero = FilterScope.zeroTerminatedParts(1)

    /// The lengths of the prefixes of stored `key` its run's filter holds (at most `parts`, each
    /// through a 0x00; a key with none holds itself).
    @inline(__always)
    func forEachFilteredPrefix(of key: UnsafeRawBufferPointer, _ body: (Int) throws -> Void) rethrows {
        switch self {
        case .wholeKey:
            try body(key.count)
        case .zeroTerminatedParts(let parts):
            var found = 0
            var index = 0
            while found < parts, index < key.count {
                if key[index] == 0 {
                    found += 1
                    try body(index + 1)
                }
                index += 1
            }
            if found == 0 { try body(key.count) }
        }
    }

    /// The length of the longest filtered prefix that `bytes` names — a whole key, or with `isPrefix`
    /// the start of keys — or nil when it names none (a prefix too short), so that no run can be
    /// skipped.
    @inline(__always)
    func filterKeyLength(_ bytes: UnsafeRawBufferPointer, isPrefix: Bool = false) -> Int? {
        switch self {
        case .wholeKey:
            return isPrefix ? nil : bytes.count
        case .zeroTerminatedParts(let parts):
            var found = 0
            var longest: Int?
            var index = 0
            while found < parts, index < bytes.count {
                if bytes[index] == 0 {
                    found += 1
                    longest = index + 1
                }
                index += 1
            }
            return longest ?? (isPrefix ? nil : bytes.count)
        }
    }

    /// The length of a key's first 0-terminated part (its subject), which groups pending puts; nil
    /// for `.wholeKey` or a key without one.
    @inline(__always)
    func subjectLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard case .zeroTerminatedParts = self, let zero = bytes.firstIndex(of: 0) else { return nil }
        return zero + 1
    }
}

/// A stored index that is not what its structure says: a malformed directory, an entry outside any
/// run, a run whose count or filter disagrees with its entries.
public struct RunIndexDamage: Error, Equatable, Sendable, CustomStringConvertible {
    public let database: String
    public let problem: String
    public var description: String { "\(database): \(problem)" }
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
    private let decodedDirectory = DecodedDirectoryCache()

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
        try txn.withValue(database, key: Self.directoryKey) { bytes in
            guard let bytes else { return RunDirectory() }
            guard let directory = decodedDirectory.directory(decoding: bytes) else {
                throw damage("the run directory is malformed")
            }
            return directory
        }
    }

    /// Stores `directory` as the index's, and keeps it decoded for the transactions that read it next.
    func store(_ directory: RunDirectory, in txn: Transaction) throws {
        let encoded = directory.encoded()
        try txn.put(database, key: Self.directoryKey, value: encoded)
        decodedDirectory.remember(directory, encodedAs: encoded)
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

    /// A writer for loading many entries that nobody reads back before they are flushed (a rebuild):
    /// puts are only collected, and sorted when flushed. One per transaction, like ``writer(in:)``,
    /// whose place it takes.
    public func bulkWriter(in txn: Transaction) throws -> RunIndexWriter {
        precondition(txn.isWritable, "a run index writer needs a write transaction")
        if let existing = txn.existingMemo(for: self, as: RunIndexWriter.self) { return existing }
        return try txn.memo(for: self) {
            let writer = RunIndexWriter(
                reader: try RunIndexReader(index: self, txn: txn, directory: directory(in: txn)), readable: false)
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

    /// A number below the recency of every run made after `txn`'s snapshot, and at or above that of
    /// every run it sees: reads given it as `newerThan` look only at what was stored since.
    public func recencyFloor(in txn: Transaction) throws -> UInt64 { try directory(in: txn).nextRecency }

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
        try store(emptied, in: txn)
    }

    /// Merges every run into one: the layout that reads fastest, at the cost of rewriting every
    /// entry (and deleting the old runs entry by entry) in one transaction.
    public func compactFully(in txn: Transaction) throws {
        if let writer = txn.existingMemo(for: self, as: RunIndexWriter.self) {
            try writer.flush()
            writer.abandon()
        }
        txn.forgetMemo(for: self)
        var directory = try directory(in: txn)
        guard directory.runs.count > 1 else { return }
        try RunMerger(index: self, txn: txn).merge(0..<directory.runs.count, in: &directory)
        try store(directory, in: txn)
    }

    /// The structural check that reads the directory, not the entries: every listed run has its
    /// filter, and run 0 holds nothing but the directory and those filters; the database holds
    /// nothing outside the listed runs (one seek per run: the first key at or after each run number
    /// belongs to a listed run); and it holds as many entries as the directory's runs add up to,
    /// besides the directory and the filters. Returns that number;
    /// throws ``RunIndexDamage`` at the first disagreement. What only reading every entry shows — a
    /// key its run's filter leaves out, an entry moved between runs with the totals kept — is
    /// ``scanChecking(in:_:)``'s.
    @discardableResult
    public func checkDirectory(in txn: Transaction) throws -> UInt64 {
        let directory = try directory(in: txn)
        let listed = Set(directory.runs.map(\.id))
        let filterKeys = Set(directory.runs.map { Self.filterKey($0.id) })
        // The directory and the filters found before run 1, counted for the total below.
        var meta: UInt64 = 0
        try txn.withCursor(database) { cursor in
            // Before run 1: the directory and one filter per listed run, nothing else (a few keys).
            let firstRun = BigEndian.bytes(UInt32(1))
            var filtersFound = Set<[UInt8]>()
            var current = try cursor.first()
            while let entry = current, entry.key.lexicographicallyPrecedes(firstRun) {
                if filterKeys.contains(entry.key) {
                    filtersFound.insert(entry.key)
                } else if entry.key != Self.directoryKey {
                    throw damage("an entry outside every run is stored")
                }
                meta += 1
                current = try cursor.next()
            }
            for run in directory.runs where !filtersFound.contains(Self.filterKey(run.id)) {
                throw damage("run \(run.id) has no filter")
            }
            // From the first run number on, hop run by run: each key found opens a listed run.
            var next: UInt64 = 1
            while next <= UInt64(UInt32.max), let entry = try cursor.seek(atLeast: BigEndian.bytes(UInt32(next))) {
                guard let run = BigEndian.uint32(Array(entry.key.prefix(4))), listed.contains(run) else {
                    throw damage("entries outside every listed run are stored")
                }
                next = UInt64(run) + 1
            }
        }
        let stored = UInt64(try txn.statistics(database).entries)
        let inRuns = stored >= meta ? stored - meta : 0
        guard stored >= meta, inRuns == directory.entryCount else {
            throw damage("the runs hold \(inRuns) entries where its directory says \(directory.entryCount)")
        }
        return inRuns
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
        // Entries come run by run, and within a run keys sharing a filter key are adjacent: the run's
        // filter and count, and the filter key's hash, are looked up once per change.
        var currentRun: UInt32 = 0
        var currentFilter: [UInt8] = []
        var currentCount: UInt64 = 0
        // Per filtered prefix level, the last prefix checked.
        var lastPrefixes: [[UInt8]] = []
        func closeRun() {
            if currentRun != 0 { counted[currentRun] = currentCount }
        }
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
                    if run != currentRun {
                        guard listed[run] != nil, counted[run] == nil else {
                            throw damage("entries of run \(run), which the directory does not list, are stored")
                        }
                        guard let filter = filters[run] else { throw damage("run \(run) has no filter") }
                        closeRun()
                        currentRun = run
                        currentFilter = filter
                        currentCount = 0
                        lastPrefixes = []
                    }
                    let logical = UnsafeRawBufferPointer(rebasing: key[4...])
                    var level = 0
                    try scope.forEachFilteredPrefix(of: logical) { length in
                        let prefix = UnsafeRawBufferPointer(rebasing: logical[..<length])
                        defer { level += 1 }
                        if level < lastPrefixes.count,
                            lastPrefixes[level].withUnsafeBytes({ compareBytes($0, prefix) == 0 })
                        {
                            return
                        }
                        let admitted = currentFilter.withUnsafeBytes { bits in
                            RunFilter.mayContain(RunFilter.hash(prefix), filter: bits)
                        }
                        guard admitted else { throw damage("run \(run)'s filter leaves out one of its keys") }
                        if level == lastPrefixes.count { lastPrefixes.append([]) }
                        lastPrefixes[level] = Array(prefix)
                    }
                    currentCount += 1
                    total += 1
                    try body(logical, value)
                    return false
                })
            {
                if stop { break }
            }
        }
        closeRun()
        for run in directory.runs where (counted[run.id] ?? 0) != run.entries {
            throw damage("run \(run.id) holds \(counted[run.id] ?? 0) entries where its directory says \(run.entries)")
        }
        for run in directory.runs where filters[run.id] == nil {
            throw damage("run \(run.id) has no filter")
        }
        return total
    }
}
