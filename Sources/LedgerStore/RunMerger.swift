import CLMDB
import Foundation

/// Writes one run's entries in key order (`MDB_APPEND`: the run's number is the largest yet) and
/// then its filter.
struct RunOutput {
    let index: RunIndex
    let txn: Transaction
    let run: UInt32
    private(set) var entries: UInt64 = 0
    private var physicalKey: [UInt8] = []
    private var hashes: [UInt64] = []
    /// Per filtered prefix level, the last prefix hashed.
    private var lastPrefixes: [[UInt8]] = []

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
        BigEndian.append(run, to: &physicalKey)
        physicalKey.append(contentsOf: key)
        try physicalKey.withUnsafeBytes { try txn.append(index.database, key: $0, value: value) }
        entries += 1
        // Keys arrive sorted, so equal filtered prefixes are adjacent: hash each once.
        var level = 0
        index.scope.forEachFilteredPrefix(of: key) { length in
            let prefix = UnsafeRawBufferPointer(rebasing: key[..<length])
            defer { level += 1 }
            if level < lastPrefixes.count, lastPrefixes[level].withUnsafeBytes({ compareBytes($0, prefix) == 0 }) {
                return
            }
            if level == lastPrefixes.count { lastPrefixes.append([]) }
            lastPrefixes[level].removeAll(keepingCapacity: true)
            lastPrefixes[level].append(contentsOf: prefix)
            hashes.append(RunFilter.hash(prefix))
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
            // Inputs are newest first, so of equal keys the first input's is the value to keep.
            let precedes = { (a: Int, b: Int) -> Bool in
                let order = heads[a].compareKey(with: heads[b])
                return order < 0 || (order == 0 && a < b)
            }
            var tournament = Tournament(sources: heads.count, isLive: { heads[$0].isValid }, precedes: precedes)
            var lastKey: [UInt8] = []
            var emitted = false
            while let best = tournament.winner {
                if emitted && heads[best].hasKey(lastKey) {
                    // An older run's entry for a key already taken from a newer one.
                    try heads[best].advance()
                } else {
                    try heads[best].withCurrent { key, value in try output.append(key, value) }
                    heads[best].copyKey(into: &lastKey)
                    emitted = true
                    try heads[best].advance()
                }
                tournament.update(best, isLive: heads[best].isValid, precedes: precedes)
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

    func hasKey(_ other: [UInt8]) -> Bool { compareBytes(key, other) == 0 }

    func copyKey(into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: key)
    }

    func withCurrent(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try body(k, v) } }
    }
}
