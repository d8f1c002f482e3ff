import CLMDB
import Foundation

/// A run's filter bits for probing: either lent in place from a read-only transaction's map (valid
/// until the transaction ends) or a copy this value keeps alive.
struct RunFilterBytes {
    let bytes: UnsafeRawBufferPointer
    private let storage: FilterStorage?

    init(copying filter: [UInt8]) {
        let storage = FilterStorage(filter)
        self.storage = storage
        bytes = UnsafeRawBufferPointer(storage.buffer)
    }

    /// The filter stored under `key`, in place; `nil` when there is none. Only for a read-only
    /// transaction, whose pages do not move before it ends.
    init?(inPlace key: [UInt8], index: RunIndex, txn: Transaction) throws {
        var value = MDB_val()
        let code = key.withUnsafeBytes { keyBytes -> Int32 in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            return mdb_get(txn.handle, index.database.handle, &k, &value)
        }
        txn.countRead()
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_get(\(index.database.name))")
        storage = nil
        bytes = UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
    }

    @inline(__always)
    func mayContain(_ hash: UInt64) -> Bool { RunFilter.mayContain(hash, filter: bytes) }
}

/// Heap memory holding a copy of a filter, freed with its last user.
final class FilterStorage {
    let buffer: UnsafeMutableRawBufferPointer

    init(_ bytes: [UInt8]) {
        buffer = .allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }

    deinit { buffer.deallocate() }
}

/// Copies of committed runs' filters, kept across a process's write transactions: a committed run
/// never changes and its number is never given to another run (only an aborted run's number is
/// given again, and only committed runs are copied here), so a copy stays right for as long as the
/// run is listed. A write transaction reads copies because it may move the pages it changes.
final class RunFilterCache: @unchecked Sendable {
    // @unchecked: `runs` and `filters` are only touched with `lock` held.
    private let lock = NSLock()
    /// The runs last asked for (newest first, as directories list them) and their filters.
    private var runs: [RunDescriptor] = []
    private var filters: [RunFilterBytes?] = []

    /// The filters of `runs` as `txn` sees them (which must be at its start, before it writes the
    /// index); copies those not cached yet and forgets runs no longer listed. A directory changes
    /// by a run or two at its head and a merge, so each run is looked for from where the last was
    /// found, and a table of every run built afresh (a single append's writers ask for four
    /// indexes' filters) is not needed.
    func filters(for runs: [RunDescriptor], index: RunIndex, txn: Transaction) throws -> [RunFilterBytes?] {
        try lock.withLock {
            if runs == self.runs { return filters }
            var found: [RunFilterBytes?] = []
            found.reserveCapacity(runs.count)
            var next = 0
            for run in runs {
                if let position = cachedPosition(of: run, from: next) {
                    found.append(filters[position])
                    next = position + 1
                    continue
                }
                guard let stored = try txn.get(index.database, key: RunIndex.filterKey(run.id)) else {
                    throw index.damage("run \(run.id) has no filter")
                }
                found.append(RunFilterBytes(copying: stored))
            }
            self.runs = runs
            filters = found
            return found
        }
    }

    /// Where `run` is among the cached runs, looked for from `start` on and then before it.
    private func cachedPosition(of run: RunDescriptor, from start: Int) -> Int? {
        let count = runs.count
        guard count > 0 else { return nil }
        for offset in 0..<count {
            let position = (start + offset) % count
            if runs[position] == run { return position }
        }
        return nil
    }
}
