import CLMDB
import Foundation

/// Lookups and prefix scans over a ``RunIndex`` as one transaction sees it: the runs, and in a write
/// transaction the puts still pending. Where several hold one key, the newest holds its value.
public protocol RunIndexView: AnyObject {
    /// Calls `body` with the value of `key` (or `nil`), lent in place: it must not escape `body`.
    /// With `newerThan`, only what was stored after a snapshot whose ``RunIndex/recencyFloor(in:)``
    /// it is (and, in a write transaction, its pending puts) is looked at.
    func withValue<T>(_ key: [UInt8], newerThan floor: UInt64?, _ body: (UnsafeRawBufferPointer?) throws -> T)
        throws -> T
    /// Calls `body` with every entry whose key starts with `prefix`, in key order (descending when
    /// `reverse`), lent in place, until `body` returns false. `body` must not write to the index.
    /// `newerThan` as for ``withValue(_:newerThan:_:)``.
    func forEachEntry(
        withPrefix prefix: [UInt8], reverse: Bool, newerThan floor: UInt64?,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws
    /// Calls `body` with every entry whose key starts with `prefix`, in descending key order, lent in
    /// place, until `body` returns false — for a prefix under which keys only grow with time: every
    /// key stored under it is greater than every key stored under it before (a sequence number after
    /// the prefix, say). Then the newest run holds the greatest keys, and a run is read only once
    /// `body` has seen every entry of the newer ones: a visit that stops at the first entry reads the
    /// newest run that holds the prefix, where ``forEachEntry(withPrefix:reverse:newerThan:_:)`` reads
    /// every run that may hold it. Throws ``RunIndexDamage`` when a run holds a key that is not below
    /// the keys of the newer runs (the premise broken). `body` must neither read nor write the index
    /// (the visit moves one shared cursor between its calls). `newerThan` as for ``withValue(_:newerThan:_:)``.
    func forEachEntryNewestFirst(
        growingWithRecency prefix: [UInt8], newerThan floor: UInt64?,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws
}

extension RunIndexView {
    public func withValue<T>(_ key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws -> T) throws -> T {
        try withValue(key, newerThan: nil, body)
    }

    public func forEachEntry(
        withPrefix prefix: [UInt8], reverse: Bool,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try forEachEntry(withPrefix: prefix, reverse: reverse, newerThan: nil, body)
    }

    /// The value of `key`, copied out.
    public func get(_ key: [UInt8], newerThan floor: UInt64? = nil) throws -> [UInt8]? {
        try withValue(key, newerThan: floor) { $0.map { Array($0) } }
    }

    /// Every entry whose key starts with `prefix`, in key order, copied out.
    public func entries(withPrefix prefix: [UInt8]) throws -> [RunEntry] {
        var entries: [RunEntry] = []
        try forEachEntry(withPrefix: prefix, reverse: false) { key, value in
            entries.append(RunEntry(key: Array(key), value: Array(value)))
            return true
        }
        return entries
    }
}

/// One key and value of a ``RunIndex``, copied out of the map.
public struct RunEntry: Equatable, Sendable {
    public let key: [UInt8]
    public let value: [UInt8]
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
            // across transactions: a run never changes once committed, and a committed run's number is never reused.
            filters = try index.filterCache.filters(for: directory.runs, index: index, txn: txn)
        }
    }

    /// Starts over from a directory this transaction has just stored (after a flush). The new runs'
    /// filters are read from this transaction and kept out of the shared cache: it may abort.
    func reload(_ directory: RunDirectory, newRuns: [UInt32: [UInt8]]) throws {
        // A directory holds a few dozen runs: a linear search beats building a dictionary.
        let old = zip(self.directory.runs, filters)
        filters = directory.runs.map { run in
            if let filter = newRuns[run.id] { return RunFilterBytes(copying: filter) }
            return old.first { $0.0.id == run.id }?.1
        }
        self.directory = directory
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

    /// The hash a filter knows `key` (or a prefix naming the filtered part) by; nil when a prefix does
    /// not name it, so that no run can be skipped.
    private func filterHash(_ key: UnsafeRawBufferPointer, isPrefix: Bool) -> UInt64? {
        index.scope.filterKeyLength(key, isPrefix: isPrefix).map {
            RunFilter.hash(UnsafeRawBufferPointer(rebasing: key[..<$0]))
        }
    }

    /// The positions of the runs that may hold a key whose filter key hashes to `hash`, newest first;
    /// with `floor`, only runs made since the snapshot it is the floor of.
    private func candidateRuns(hash: UInt64?, newerThan floor: UInt64? = nil) throws -> [Int] {
        var candidates: [Int] = []
        for position in directory.runs.indices {
            // Newest first: once a run is older than the floor, so are all after it.
            if let floor, directory.runs[position].recency < floor { break }
            if let hash, let filter = try filter(position), !filter.mayContain(hash) { continue }
            candidates.append(position)
        }
        return candidates
    }

    private func setPhysicalKey(run: UInt32, _ key: UnsafeRawBufferPointer) {
        physicalKey.removeAll(keepingCapacity: true)
        physicalKey.append(UInt8(run >> 24))
        physicalKey.append(UInt8(run >> 16 & 0xff))
        physicalKey.append(UInt8(run >> 8 & 0xff))
        physicalKey.append(UInt8(run & 0xff))
        physicalKey.append(contentsOf: key)
    }

    public func withValue<T>(
        _ key: [UInt8], newerThan floor: UInt64?, _ body: (UnsafeRawBufferPointer?) throws -> T
    ) throws -> T {
        try key.withUnsafeBytes { bytes in try withValue(bytes, newerThan: floor, body) }
    }

    func withValue<T>(
        _ key: UnsafeRawBufferPointer, newerThan floor: UInt64? = nil, _ body: (UnsafeRawBufferPointer?) throws -> T
    ) throws -> T {
        for position in try candidateRuns(hash: filterHash(key, isPrefix: false), newerThan: floor) {
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

    public func forEachEntry(
        withPrefix prefix: [UInt8], reverse: Bool, newerThan floor: UInt64?,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try forEachEntry(withPrefix: prefix, pending: [], reverse: reverse, newerThan: floor, body)
    }

    /// The merged visit, with `pending` (sorted, all starting with `prefix`) newest of all. Each run
    /// that may hold the prefix is read once with one cursor, its entries lent in place (the pages of
    /// committed runs do not move before the transaction ends, and nothing writes during the visit);
    /// the lists are then merged.
    func forEachEntry(
        withPrefix prefix: [UInt8], pending: [PendingPuts.Entry], reverse: Bool, newerThan floor: UInt64? = nil,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let candidates = try prefix.withUnsafeBytes {
            try candidateRuns(hash: filterHash($0, isPrefix: true), newerThan: floor)
        }
        // Most of an import's lookups find no run to read: the pending puts alone are visited.
        if candidates.isEmpty {
            try Self.visit(pending, reverse: reverse, body)
            return
        }
        var lists: [[PendingPuts.Entry]] = []
        lists.reserveCapacity(candidates.count + 1)
        if !pending.isEmpty { lists.append(pending) }
        // Every entry is collected before `body` sees any, so a nested scan may reuse the cursor.
        let cursor = try txn.sharedCursor(index.database)
        for position in candidates {
            let start = physicalStart(ofRun: position, prefix: prefix)
            var list: [PendingPuts.Entry] = []
            // Room for a person's versions of a field in one run, at once: growing from empty
            // reallocated a few times per run read.
            list.reserveCapacity(8)
            try start.withUnsafeBytes { startBytes in
                let inRange = { Self.entry($0, $1, under: startBytes) }
                var found = try cursor.withEntry(atLeast: start, inRange)
                while let current = found, let entry = current {
                    list.append(entry)
                    found = try cursor.withEntry(.next, inRange)
                }
            }
            if !list.isEmpty { lists.append(list) }
        }
        try Self.merge(lists, reverse: reverse, body)
    }

    public func forEachEntryNewestFirst(
        growingWithRecency prefix: [UInt8], newerThan floor: UInt64?,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try forEachEntryNewestFirst(growingWithRecency: prefix, pending: [], newerThan: floor, body)
    }

    /// The newest-first visit, with `pending` (sorted, all starting with `prefix`) newest of all. Each
    /// run is read backwards from the end of the prefix's range when the visit reaches it, an entry at
    /// a time, so `body` must not read the index itself (it would move the shared cursor).
    func forEachEntryNewestFirst(
        growingWithRecency prefix: [UInt8], pending: [PendingPuts.Entry], newerThan floor: UInt64? = nil,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        // The lowest key visited so far: every key of an older run must be below it.
        var lowest: UnsafeRawBufferPointer?
        for entry in pending.reversed() {
            guard try body(entry.key, entry.value) else { return }
            lowest = entry.key
        }
        let candidates = try prefix.withUnsafeBytes {
            try candidateRuns(hash: filterHash($0, isPrefix: true), newerThan: floor)
        }
        guard !candidates.isEmpty else { return }
        let cursor = try txn.sharedCursor(index.database)
        var stopped = false
        for position in candidates where !stopped {
            let start = physicalStart(ofRun: position, prefix: prefix)
            try start.withUnsafeBytes { startBytes in
                let inRange = { Self.entry($0, $1, under: startBytes) }
                // The last entry under the prefix: the one before the first key past its range.
                var found: PendingPuts.Entry??
                if let end = Self.successor(of: start), try cursor.withEntry(atLeast: end, { _, _ in true }) != nil {
                    found = try cursor.withEntry(.previous, inRange)
                } else {
                    found = try cursor.withEntry(.last, inRange)
                }
                var isGreatest = true
                while let current = found, let entry = current {
                    if isGreatest, let lowest, compareBytes(entry.key, lowest) >= 0 {
                        throw index.damage(
                            "run \(directory.runs[position].id) holds a key under a prefix visited newest first that is not below the newer runs' keys"
                        )
                    }
                    isGreatest = false
                    guard try body(entry.key, entry.value) else {
                        stopped = true
                        return
                    }
                    lowest = entry.key
                    found = try cursor.withEntry(.previous, inRange)
                }
            }
        }
    }

    /// Where the entries under `prefix` of the run at `position` start: the physical key run ‖ prefix.
    private func physicalStart(ofRun position: Int, prefix: [UInt8]) -> [UInt8] {
        prefix.withUnsafeBytes { bytes in
            setPhysicalKey(run: directory.runs[position].id, bytes)
            return physicalKey
        }
    }

    /// The entry a cursor lends, logically (its key without the run number), when its physical key
    /// starts with `start` (run ‖ prefix); nil past the prefix's range in the run.
    private static func entry(
        _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, under start: UnsafeRawBufferPointer
    ) -> PendingPuts.Entry? {
        hasPrefix(key, start) ? PendingPuts.Entry(key: UnsafeRawBufferPointer(rebasing: key[4...]), value: value) : nil
    }

    /// The least key greater than every key that starts with `bytes`, if there is one.
    static func successor(of bytes: [UInt8]) -> [UInt8]? {
        var successor = bytes
        while let last = successor.last {
            if last < 0xff {
                successor[successor.count - 1] = last + 1
                return successor
            }
            successor.removeLast()
        }
        return nil
    }

    /// Visits one sorted list, descending when `reverse`, by index: `reversed()` of an array picked
    /// beside the array itself is a reversed copy.
    private static func visit(
        _ list: [PendingPuts.Entry], reverse: Bool,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) rethrows {
        if reverse {
            for index in list.indices.reversed() { guard try body(list[index].key, list[index].value) else { return } }
        } else {
            for entry in list { guard try body(entry.key, entry.value) else { return } }
        }
    }

    /// Visits sorted lists merged in key order (descending when `reverse`); where lists share a key,
    /// the earliest list's entry is the one visited (lists are newest first).
    static func merge(
        _ lists: [[PendingPuts.Entry]], reverse: Bool,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        if lists.count <= 1 {
            try visit(lists.first ?? [], reverse: reverse, body)
            return
        }
        var heads = lists.map { reverse ? $0.count - 1 : 0 }
        let step = reverse ? -1 : 1
        func valid(_ list: Int) -> Bool { heads[list] >= 0 && heads[list] < lists[list].count }
        while true {
            var best = -1
            for list in lists.indices where valid(list) {
                if best < 0 {
                    best = list
                    continue
                }
                let order = compareBytes(lists[list][heads[list]].key, lists[best][heads[best]].key)
                if reverse ? order > 0 : order < 0 { best = list }
            }
            guard best >= 0 else { return }
            let winner = lists[best][heads[best]]
            for list in lists.indices where valid(list) && compareBytes(lists[list][heads[list]].key, winner.key) == 0 {
                heads[list] += step
            }
            guard try body(winner.key, winner.value) else { return }
        }
    }
}
