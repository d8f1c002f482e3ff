import Foundation

extension Ledger {
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
        // their runs merged): room for twice what they hold now, so that the map never fills halfway.
        let projectionBytes = try environment.read { txn in
            try projections.all.reduce(0) { $0 + (try txn.statistics($1).bytes) }
        }
        try environment.reserve(2 * projectionBytes + (64 << 20))
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
    /// only merges sorted batches into one run each (at the end, or when memory's bound is reached).
    func replayProjections(
        in txn: Transaction, runEntries: Int = rebuildRunEntries, progress: (UInt64) -> Void
    ) throws -> UInt64 {
        try projections.empty(in: txn)
        // Nothing reads the projections back before the end: their puts need no index.
        for index in [projections.provenance, projections.disclosures] { _ = try index.bulkWriter(in: txn) }
        let size = try log.size(in: txn)
        let replayed = try RecordDecoder.run(ledger: self, size: size, checking: false, sortingRunEntries: true) {
            batch in
            for record in batch.records {
                guard case .decoded(let entries, _) = record.outcome else { continue }
                try projections.store(entries, in: txn)
            }
            for (index, sorted) in [
                (projections.provenance, batch.provenance), (projections.disclosures, batch.disclosures),
            ] {
                let writer = try index.writer(in: txn)
                if let sorted { writer.adopt(sorted) }
                if writer.pendingCount >= runEntries { try writer.flush() }
            }
            progress(batch.records.last.map { $0.sequence + 1 } ?? 0)
        }
        guard replayed == size else {
            throw StoredEvent.Unreadable(description: "the replay read \(replayed) of \(size) records")
        }
        try projections.provenance.compactFully(in: txn)
        try projections.disclosures.compactFully(in: txn)
        progress(size)
        return size
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
    static func run(
        ledger: Ledger, size: UInt64, checking: Bool, sortingRunEntries: Bool = false,
        _ body: (DecodedBatch) throws -> Void
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
        while let batch = try decoders[next % workers].queue.pop() {
            try body(batch)
            handed += UInt64(batch.records.count)
            decoders[next % workers].queue.recycle(consume batch)
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
