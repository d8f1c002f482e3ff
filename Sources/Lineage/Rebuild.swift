import Foundation

extension Ledger {
    /// Whether a rebuild's run that has taken `records` records, and holds `pending` entries, is
    /// begun now, with `remaining` records still to replay. The run left pending at the end is
    /// written after the decoders are done, by the writer alone; so the one before it begins as soon
    /// as the records to come would add no more than a quarter of what is pending (at the rate this
    /// run has grown: no more than a quarter of its records), and is written while the decoders
    /// finish. Not for a few entries (under an eighth of a run): a small ledger reads fastest from
    /// one run.
    static func isLastButOneRunDue(records: UInt64, remaining: UInt64, pending: Int, runEntries: Int) -> Bool {
        records > 0 && pending >= runEntries / 8 && remaining <= records / 4
    }

    /// Empties every projection database and replays the records into them, in one write
    /// transaction: readers see the old projections until it commits, never a half-built one. The
    /// identity index is rebuilt only from values that can still be opened. Returns the number of
    /// records replayed.
    @discardableResult
    public func rebuildProjections(progress: (UInt64) -> Void = { _ in }) throws -> UInt64 {
        try rebuildProjections(runEntries: Self.rebuildRunEntries, progress: progress)
    }

    /// The same, writing a run whenever `runEntries` puts are held (the tests make it small).
    @discardableResult
    func rebuildProjections(runEntries: Int, progress: (UInt64) -> Void = { _ in }) throws -> UInt64 {
        // The old projections' pages stay until the commit, the new ones are written beside them (and
        // merged, when eight runs weigh the same): room for twice what they hold now, so that the map
        // never fills halfway.
        let projectionBytes = try environment.read { txn in
            try projections.all.reduce(0) { $0 + (try txn.statistics($1).bytes) }
        }
        try environment.reserve(2 * projectionBytes + (64 << 20))
        // LMDB never gives a write transaction the pages the newest commit freed (the meta page
        // before it still points to them): a replay right after a previous rebuild's commit could
        // not take that rebuild's freed projections, and grew the file by their size again. A
        // commit that changes nothing (the key check, which opening the ledger found, put back as
        // it is: an identical put still writes a new transaction) comes in between.
        let keyCheckKey = Array("keyCheck".utf8)
        try environment.write { txn in
            if let check = try txn.get(meta, key: keyCheckKey) { try txn.put(meta, key: keyCheckKey, value: check) }
        }
        return try environment.write { txn in
            let replayed = try replayProjections(in: txn, runEntries: runEntries, progress: progress)
            // Projections of an earlier format are now the current one's, in the same transaction.
            try txn.put(meta, key: Array("format".utf8), value: Array(Self.formatValue.utf8))
            return replayed
        }
    }

    /// The databases `rebuild` empties and replays.
    public var projectionDatabases: [Database] { projections.all }

    /// Puts a rebuild holds in memory before it writes them as a run: bounds its memory (about 200
    /// bytes an entry) while keeping the runs few.
    static let rebuildRunEntries = 1 << 19

    /// Empties the projections and replays every record into them, in `txn`. Decoding a record and
    /// deriving its entries needs only the records and the vault, which the replay does not change, so
    /// it runs on threads of their own, each in a read transaction of its own, batches ahead of this
    /// one. They also sort each batch's entries for the sorted-run projections, so that this thread
    /// only merges sorted batches into runs (when memory's bound is reached, and at the end).
    ///
    /// The runs are left as an import's flushes would leave them, not merged into one: each weighs
    /// the flushes an import of its records would have made, and later imports merge it when they
    /// would have merged those. Merging them all at the end read, rewrote and deleted every entry on
    /// this thread alone, with the decoders done: a third of a million-record rebuild, to save a
    /// query one seek per run (a few, below the fan-in, unless the ledger is many times larger).
    func replayProjections(
        in txn: Transaction, runEntries: Int = rebuildRunEntries, progress: (UInt64) -> Void
    ) throws -> UInt64 {
        try projections.empty(in: txn)
        // Nothing reads the projections back before the end: their puts need no index.
        let indexes = [projections.provenance, projections.disclosures]
        var runs = try indexes.map { RebuildRun(index: $0, writer: try $0.bulkWriter(in: txn)) }
        let size = try log.size(in: txn)
        // A run is written while this thread waits for the decoders, a few thousand entries at a
        // time: written at once, half a million entries kept them waiting for most of a second.
        let writeSomeRun = {
            var more = false
            for run in runs where run.writer.isWritingRun {
                more = try run.writer.continueRun(entries: Self.runEntriesWrittenWhileWaiting) || more
            }
            return more
        }
        let replayed = try RecordDecoder.run(
            ledger: self, size: size, checking: false, sortingRunEntries: true, whileWaiting: writeSomeRun
        ) { batch in
            for record in batch.records {
                guard case .decoded(let entries, _) = record.outcome else { continue }
                try projections.store(entries, in: txn)
            }
            let replayedSoFar = batch.records.last.map { $0.sequence + 1 } ?? 0
            for (position, sorted) in [batch.provenance, batch.disclosures].enumerated() {
                if let sorted { runs[position].writer.adopt(sorted) }
                runs[position].records += UInt64(batch.records.count)
                if runs[position].writer.pendingCount >= runEntries
                    || runs[position].isDueBeforeTheEnd(replayed: replayedSoFar, of: size, runEntries: runEntries)
                {
                    try runs[position].beginRun()
                }
            }
            progress(replayedSoFar)
        }
        guard replayed == size else {
            throw StoredEvent.Unreadable(description: "the replay read \(replayed) of \(size) records")
        }
        for position in runs.indices {
            try runs[position].beginRun()
            try runs[position].writer.finishRun()
        }
        progress(size)
        return size
    }

    /// How many entries of a run are written each time the replay finds no decoded batch ready:
    /// a few milliseconds' work, a fraction of a batch's decoding.
    static let runEntriesWrittenWhileWaiting = 4_096
}

/// The run a rebuild is filling for one index, and the weight it will have.
private struct RebuildRun {
    let index: RunIndex
    let writer: RunIndexWriter
    /// Records replayed since the last run was begun.
    var records: UInt64 = 0
    /// The last run's weight: a newer run never weighs more, so that the runs, newest first, keep
    /// the order of weights a base-fan-in counter has and merge as an import's do.
    private var lastWeight = UInt64.max
    private var hasBegunLastRun = false

    init(index: RunIndex, writer: RunIndexWriter) {
        self.index = index
        self.writer = writer
    }

    /// Whether to begin a run before the last records are replayed (once), by
    /// ``Ledger/isLastButOneRunDue(records:remaining:pending:runEntries:)``; never while a run is
    /// being written.
    mutating func isDueBeforeTheEnd(replayed: UInt64, of size: UInt64, runEntries: Int) -> Bool {
        guard !hasBegunLastRun, !writer.isWritingRun,
            Ledger.isLastButOneRunDue(
                records: records, remaining: size - replayed, pending: writer.pendingCount, runEntries: runEntries)
        else { return false }
        hasBegunLastRun = true
        return true
    }

    /// Takes the pending puts as the next run (finishing the one before, if it is still being
    /// written), weighed as the flushes an import of its records would have made.
    mutating func beginRun() throws {
        guard writer.pendingCount > 0 else { return }
        let weight = Ledger.rebuildRunWeight(records: records, fanIn: index.fanIn, previous: lastWeight)
        try writer.beginRun(weight: weight)
        lastWeight = weight
        records = 0
    }
}

extension Ledger {
    /// The weight of a rebuild's run of `records` records' entries: the flushes an import of them in
    /// batches of the default size would have made, as a power of the fan-in, and no more than the
    /// run before it (`previous`) weighs.
    static func rebuildRunWeight(records: UInt64, fanIn: Int, previous: UInt64) -> UInt64 {
        let flushes = records / UInt64(AppendOptions.defaultBatchSize)
        return min(previous, RunIndexWriter.weight(ofFlushes: flushes, fanIn: fanIn))
    }
}

/// One batch of records as the decoders hand it over.
struct DecodedBatch: Sendable {
    var records: [DecodedRecord] = []
    /// When the decoder sorts run entries (a rebuild): the batch's provenance and disclosure entries,
    /// sorted, and left out of `records`.
    private(set) var provenance: SortedPuts?
    private(set) var disclosures: SortedPuts?

    init(sortingRunEntries: Bool) {
        if sortingRunEntries {
            provenance = SortedPuts()
            disclosures = SortedPuts()
        }
    }

    /// The entries that go to neither sorted set: all of them, when this batch sorts none.
    func keepingUnsorted(_ entries: [Projections.Entry]) -> [Projections.Entry] {
        guard let provenance, let disclosures else { return entries }
        var rest: [Projections.Entry] = []
        for entry in entries {
            switch entry.target {
            case .provenance: provenance.put(entry.key, entry.value)
            case .disclosures: disclosures.put(entry.key, entry.value)
            case .parties, .identity: rest.append(entry)
            }
        }
        return rest
    }

    /// Sorts the sorted sets, once the batch is complete.
    func sortRunEntries() {
        provenance?.sort()
        disclosures?.sort()
    }
}

/// One record as a replay sees it.
struct DecodedRecord: Sendable {
    enum Outcome: Sendable {
        /// The projection entries the record gives rise to, and its event id.
        case decoded([Projections.Entry], eventID: EventID)
        /// Why the record is not what it should be (only when checking).
        case damaged(String)
    }

    let sequence: UInt64
    let outcome: Outcome
}

/// Decodes records on threads of their own, each in a read transaction of its own, for `rebuild` and
/// `verify`, handing them over in batches, in order. Decoding (parsing the event, deriving its
/// entries) costs several times what storing the entries does, so two threads decode, batch k on
/// thread k mod 2, while the caller's thread stores: on two cores, all three keep both busy.
final class RecordDecoder: @unchecked Sendable {
    // @unchecked: created on the calling thread, then used only by its decoding thread; the queue
    // is the one shared object, and it synchronises itself.
    private let ledger: Ledger
    private let size: UInt64
    private let checking: Bool
    private let sortingRunEntries: Bool
    private let worker: Int
    private let workers: Int
    private let queue: BoundedQueue<DecodedBatch>
    static let batchSize: UInt64 = 2_000
    static let workers = 2

    private init(ledger: Ledger, size: UInt64, checking: Bool, sortingRunEntries: Bool, worker: Int, workers: Int) {
        self.ledger = ledger
        self.size = size
        self.checking = checking
        self.sortingRunEntries = sortingRunEntries
        self.worker = worker
        self.workers = workers
        self.queue = BoundedQueue(capacity: 2)
    }

    /// Decodes records 0..<`size` and calls `body` with each batch in order, on the calling thread.
    /// With `checking`, a record is also checked as `verify` needs: its canonical form, and every
    /// sealed value authenticating. With `sortingRunEntries`, each batch's provenance and disclosure
    /// entries come sorted, beside its records (``DecodedBatch``). Returns the number of records
    /// handed over. A batch is freed by the thread that decoded it, after `body` is done with it.
    /// While the next batch is not ready, `whileWaiting` is called for as long as it returns true
    /// (it has done some work of its own, and has more).
    static func run(
        ledger: Ledger, size: UInt64, checking: Bool, sortingRunEntries: Bool = false,
        whileWaiting: () throws -> Bool = { false }, _ body: (DecodedBatch) throws -> Void
    ) throws -> UInt64 {
        let decoders = (0..<workers).map {
            RecordDecoder(
                ledger: ledger, size: size, checking: checking, sortingRunEntries: sortingRunEntries, worker: $0,
                workers: workers)
        }
        for decoder in decoders {
            let thread = Thread { decoder.decodeAll() }
            thread.stackSize = 4 << 20
            thread.start()
        }
        // The decoders' read transactions must end before the caller's does: a map-full retry of a
        // write takes the map lock exclusively, and would wait for them forever.
        defer {
            for decoder in decoders { decoder.queue.cancel() }
            for decoder in decoders { decoder.queue.waitUntilFinished() }
        }
        var handed: UInt64 = 0
        // Batch k comes from decoder k mod workers; the first that has none marks the end.
        var next = 0
        while true {
            let queue = decoders[next % workers].queue
            while !queue.isReady, try whileWaiting() {}
            guard let batch = try queue.pop() else { break }
            try body(batch)
            handed += UInt64(batch.records.count)
            queue.recycle(consume batch)
            next += 1
        }
        return handed
    }

    private struct Stopped: Error {}

    private func decodeAll() {
        do {
            let identityIndex = try HMACSHA256(key: ledger.keys.identityIndexKey)
            let reader = StoredEventReader(checksCanonicalForm: checking)
            try ledger.environment.read { txn in
                var batch = DecodedBatch(sortingRunEntries: sortingRunEntries)
                batch.records.reserveCapacity(Int(Self.batchSize))
                // Records appended after the caller's snapshot are not its business.
                var start = UInt64(worker) * Self.batchSize
                while start < size {
                    let end = min(start + Self.batchSize, size)
                    var expected = start
                    try ledger.log.forEachRecord(in: txn, from: start, to: end) { sequence, bytes in
                        if sequence != expected {
                            batch.records.append(
                                DecodedRecord(sequence: expected, outcome: .damaged("record \(expected) is missing")))
                        }
                        expected = sequence + 1
                        var outcome = try decode(sequence, bytes, reader: reader, identityIndex: identityIndex, in: txn)
                        if case .decoded(let entries, let eventID) = outcome {
                            outcome = .decoded(batch.keepingUnsorted(entries), eventID: eventID)
                        }
                        batch.records.append(DecodedRecord(sequence: sequence, outcome: outcome))
                    }
                    if expected < end {
                        batch.records.append(
                            DecodedRecord(sequence: expected, outcome: .damaged("record \(expected) is missing")))
                    }
                    batch.sortRunEntries()
                    guard queue.push(batch) else { throw Stopped() }
                    batch = DecodedBatch(sortingRunEntries: sortingRunEntries)
                    batch.records.reserveCapacity(Int(Self.batchSize))
                    start += UInt64(workers) * Self.batchSize
                }
            }
            queue.finish(error: nil)
        } catch {
            queue.finish(error: error)
        }
        queue.freeSpentUntilCancelled()
    }

    private func decode(
        _ sequence: UInt64, _ bytes: [UInt8], reader: StoredEventReader, identityIndex: HMACSHA256,
        in txn: Transaction
    ) throws -> DecodedRecord.Outcome {
        let stored: StoredEvent
        do {
            stored = try StoredEvent(sequence: sequence, bytes: bytes, reader: reader)
        } catch let unreadable as StoredEvent.Unreadable {
            if checking { return .damaged(unreadable.description) }
            throw unreadable
        }
        let envelope = stored.event.envelope
        let vocabulary = Vocabulary.standard
        var digests: [Digest?] = []
        for (index, item) in stored.items.enumerated() {
            let isIdentityCode = vocabulary.fields[item.field]?.type == .personalIdentityCode
            // Verify opens every value (each must authenticate); a rebuild only the identity codes.
            guard isIdentityCode || checking else {
                digests.append(nil)
                continue
            }
            let value: JSONValue?
            do {
                value = try stored.value(ofItem: index, vault: ledger.vault, in: txn)
            } catch is OpenError {
                return .damaged("record \(sequence) has a sealed value that does not authenticate")
            }
            digests.append(
                isIdentityCode ? try value.flatMap { try IdentityIndex.digest(of: $0, using: identityIndex) } : nil)
        }
        let entries: [Projections.Entry]
        do {
            entries = try Projections.entries(
                of: stored.event, sequence: sequence, recordedAt: stored.record.recordedAt, sealed: stored.sealed,
                resolution: stored.resolution
            ) { digests[$0] }
        } catch let unreadable as StoredEvent.Unreadable {
            if checking { return .damaged(unreadable.description) }
            throw unreadable
        }
        return .decoded(entries, eventID: envelope.id)
    }
}
