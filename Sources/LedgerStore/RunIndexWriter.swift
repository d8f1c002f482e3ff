/// A write transaction's puts to one ``RunIndex``, readable (with the stored runs) before they are
/// stored, and stored as one new run by ``flush()``.
public final class RunIndexWriter: RunIndexView {
    public let reader: RunIndexReader
    private var pending: PendingPuts
    /// Set once the index has been emptied or compacted under this writer: its flush does nothing.
    private var isAbandoned = false
    /// The run ``beginRun(weight:)`` took and ``continueRun(entries:)`` is writing.
    private var runInProgress: RunInProgress?

    /// Whether this transaction's puts can be read back before they are flushed.
    private let readable: Bool

    init(reader: RunIndexReader, readable: Bool = true) {
        self.reader = reader
        self.readable = readable
        pending = PendingPuts(scope: reader.index.scope, readable: readable)
    }

    public var pendingCount: Int { pending.count }

    /// Drops the pending puts and a run still being written. Only for ``RunIndex/empty(in:)``, which
    /// then empties the database (a half-written run's entries with the rest), and
    /// ``RunIndex/compactFully(in:)``, which flushes first.
    func abandon() {
        isAbandoned = true
        runInProgress = nil
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

    public func forEachEntryNewestFirst(
        growingWithRecency prefix: [UInt8], newerThan floor: UInt64?,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let fresh = prefix.withUnsafeBytes { pending.entries(withPrefix: $0) }
        try reader.forEachEntryNewestFirst(growingWithRecency: prefix, pending: fresh, newerThan: floor, body)
    }

    /// Stores the pending puts as one new run of `weight` flushes, merges runs as their weights
    /// require, and stores the directory. It runs by itself before the transaction commits, with the
    /// weight of one flush. A rebuild's runs (``beginRun(weight:)``) weigh the flushes an import of
    /// the same records would have made, so that later imports merge them when they would have merged
    /// those. `weight` must be a power of the index's fan-in, which keeps the weights a base-fan-in
    /// counter. A run begun by ``beginRun(weight:)`` is finished first.
    public func flush(weight: UInt64 = 1) throws {
        try finishRun()
        try takeRun(weight: weight)
        try finishRun()
    }

    /// Whether a run begun by ``beginRun(weight:)`` is still being written.
    public var isWritingRun: Bool { runInProgress != nil }

    /// Takes the pending puts as a new run of `weight` flushes (as ``flush(weight:)`` does), to be
    /// written by ``continueRun(entries:)`` a few entries at a time, while new puts collect for the
    /// next run: a rebuild writes a run between the batches it stores, rather than making the threads
    /// that decode them wait for a whole run. A run still being written is finished first. Only for a
    /// bulk writer (``RunIndex/bulkWriter(in:)``): until the run is stored, its entries are neither
    /// pending nor stored, so a read would miss them.
    public func beginRun(weight: UInt64) throws {
        precondition(!readable, "only a bulk writer, whose puts are not read back, writes a run in steps")
        try takeRun(weight: weight)
    }

    private func takeRun(weight: UInt64) throws {
        precondition(Self.isPower(weight, of: reader.index.fanIn), "a run's weight is a power of the fan-in")
        try finishRun()
        guard !pending.isEmpty, !isAbandoned else { return }
        var directory = reader.directory
        let id = directory.nextRunID
        directory.nextRunID += 1
        let recency = directory.nextRecency
        directory.nextRecency += 1
        runInProgress = RunInProgress(
            puts: pending, entries: pending.sortedMerge(),
            output: RunOutput(index: reader.index, txn: reader.txn, run: id), directory: directory,
            recency: recency, weight: weight)
        pending = PendingPuts(scope: reader.index.scope, readable: readable)
    }

    /// Writes up to `count` more entries of the run being written, and stores it once they are all
    /// written. Returns whether the run is still being written (it is stored at the first call that
    /// finds nothing left).
    public func continueRun(entries count: Int) throws -> Bool {
        guard var run = runInProgress else { return false }
        runInProgress = nil
        var written = 0
        while written < count, let entry = run.entries.next() {
            try run.output.append(entry.key, entry.value)
            written += 1
        }
        if written < count {
            try store(run)
        } else {
            runInProgress = run
        }
        return runInProgress != nil
    }

    /// Writes what is left of the run being written, if any, and stores it.
    public func finishRun() throws {
        while try continueRun(entries: Int.max) {}
    }

    /// Stores a written run: its filter, its place in the directory, the merges its weight brings
    /// about, the directory.
    private func store(_ run: RunInProgress) throws {
        var run = run
        let index = reader.index
        let txn = reader.txn
        let filter = try run.output.finish()
        run.directory.runs.insert(
            RunDescriptor(id: run.output.run, recency: run.recency, weight: run.weight, entries: run.output.entries),
            at: 0)
        var newRuns = [run.output.run: filter]
        let merger = RunMerger(index: index, txn: txn)
        while let group = Self.mergeableGroup(run.directory.runs, fanIn: index.fanIn) {
            let merged = try merger.merge(group, in: &run.directory)
            newRuns[merged.id] = merged.filter
        }
        try index.store(run.directory, in: txn)
        try reader.reload(run.directory, newRuns: newRuns)
    }

    /// The largest power of `fanIn` not above `flushes` (1 for none): the weight of a run that holds
    /// about that many flushes' entries.
    public static func weight(ofFlushes flushes: UInt64, fanIn: Int) -> UInt64 {
        var weight: UInt64 = 1
        while weight <= flushes / UInt64(fanIn) { weight *= UInt64(fanIn) }
        return weight
    }

    static func isPower(_ weight: UInt64, of fanIn: Int) -> Bool {
        var power: UInt64 = 1
        while power < weight {
            let (next, overflow) = power.multipliedReportingOverflow(by: UInt64(fanIn))
            if overflow { return false }
            power = next
        }
        return power == weight
    }

    /// The newest `fanIn` runs when they hold equally many flushes, else nil.
    static func mergeableGroup(_ runs: [RunDescriptor], fanIn: Int) -> Range<Int>? {
        guard runs.count >= fanIn, runs.prefix(fanIn).allSatisfy({ $0.weight == runs[0].weight }) else { return nil }
        return 0..<fanIn
    }
}

/// A run being written a few entries at a time: the puts it was taken from (whose arenas hold the
/// bytes), their merge, where it has got to, and the directory it will be listed in.
private struct RunInProgress {
    let puts: PendingPuts
    let entries: SortedMerge
    var output: RunOutput
    var directory: RunDirectory
    let recency: UInt64
    let weight: UInt64
}
