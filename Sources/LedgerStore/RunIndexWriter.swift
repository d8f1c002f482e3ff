/// A write transaction's puts to one ``RunIndex``, readable (with the stored runs) before they are
/// stored, and stored as one new run by ``flush()``.
public final class RunIndexWriter: RunIndexView {
    public let reader: RunIndexReader
    private var pending: PendingPuts
    /// Set once the index has been emptied or compacted under this writer: its flush does nothing.
    private var isAbandoned = false

    /// Whether this transaction's puts can be read back before they are flushed.
    private let readable: Bool

    init(reader: RunIndexReader, readable: Bool = true) {
        self.reader = reader
        self.readable = readable
        pending = PendingPuts(scope: reader.index.scope, readable: readable)
    }

    public var pendingCount: Int { pending.count }

    func abandon() {
        isAbandoned = true
        pending = PendingPuts(scope: reader.index.scope, readable: readable)
    }

    /// Sets `key` to `value` (replacing a pending put of the same key).
    public func put(_ key: [UInt8], _ value: [UInt8]) {
        key.withUnsafeBytes { k in value.withUnsafeBytes { v in put(k, v) } }
    }

    /// Sets `key` to `value`; both are copied.
    public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        precondition(!isAbandoned, "the index was emptied or compacted: ask it for a new writer")
        pending.put(key, value)
    }

    /// Takes puts sorted on another thread, as if each were put now, in their order (a writer whose
    /// puts are not read back: a rebuild's).
    public func adopt(_ puts: SortedPuts) {
        precondition(!isAbandoned, "the index was emptied or compacted: ask it for a new writer")
        pending.adopt(puts)
    }

    /// The value of `key` among this transaction's own puts, if it has put one.
    public func pendingValue(_ key: [UInt8]) -> [UInt8]? {
        key.withUnsafeBytes { pending.value(for: $0).map { Array($0) } }
    }

    public func withValue<T>(
        _ key: [UInt8], newerThan floor: UInt64?, _ body: (UnsafeRawBufferPointer?) throws -> T
    ) throws -> T {
        try key.withUnsafeBytes { bytes in
            if let value = pending.value(for: bytes) { return try body(value) }
            return try reader.withValue(bytes, newerThan: floor, body)
        }
    }

    public func forEachEntry(
        withPrefix prefix: [UInt8], reverse: Bool, newerThan floor: UInt64?,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let fresh = prefix.withUnsafeBytes { pending.entries(withPrefix: $0) }
        try reader.forEachEntry(withPrefix: prefix, pending: fresh, reverse: reverse, newerThan: floor, body)
    }

    /// Stores the pending puts as one new run, merges runs as their weights require, and stores the
    /// directory. It runs by itself before the transaction commits; a rebuild also calls it to bound
    /// its memory.
    public func flush() throws {
        guard !pending.isEmpty, !isAbandoned else { return }
        let index = reader.index
        let txn = reader.txn
        var directory = reader.directory
        let id = directory.nextRunID
        directory.nextRunID += 1
        let recency = directory.nextRecency
        directory.nextRecency += 1
        var output = RunOutput(index: index, txn: txn, run: id)
        for entry in pending.sorted() { try output.append(entry.key, entry.value) }
        let filter = try output.finish()
        directory.runs.insert(RunDescriptor(id: id, recency: recency, weight: 1, entries: output.entries), at: 0)
        var newRuns = [id: filter]
        let merger = RunMerger(index: index, txn: txn)
        while let group = Self.mergeableGroup(directory.runs, fanIn: index.fanIn) {
            let merged = try merger.merge(group, in: &directory)
            newRuns[merged.id] = merged.filter
        }
        try txn.put(index.database, key: RunIndex.directoryKey, value: directory.encoded())
        pending = PendingPuts(scope: index.scope, readable: readable)
        try reader.reload(directory, newRuns: newRuns)
    }

    /// The newest `fanIn` runs when they hold equally many flushes, else nil.
    static func mergeableGroup(_ runs: [RunDescriptor], fanIn: Int) -> Range<Int>? {
        guard runs.count >= fanIn, runs.prefix(fanIn).allSatisfy({ $0.weight == runs[0].weight }) else { return nil }
        return 0..<fanIn
    }
}
