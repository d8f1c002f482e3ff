import Foundation

extension Ledger {
    /// Empties every projection database and replays the records into them, in one write
    /// transaction: readers see the old projections until it commits, never a half-built one. The
    /// identity index is rebuilt only from values that can still be opened. Returns the number of
    /// records replayed.
    @discardableResult
    public func rebuildProjections(progress: (UInt64) -> Void = { _ in }) throws -> UInt64 {
        try environment.write { txn in try replayProjections(in: txn, progress: progress) }
    }

    /// The databases `rebuild` empties and replays.
    public var projectionDatabases: [Database] { projections.all }

    /// Empties the projections and replays every record into them, in `txn`. Decoding a record (its
    /// JSON parsed and checked again, its identity codes opened and digested) needs only the records
    /// and the vault, which the replay does not change, so it runs on a second thread in a read
    /// transaction of its own, a batch ahead of this one, which only applies the projections.
    func replayProjections(in txn: Transaction, progress: (UInt64) -> Void) throws -> UInt64 {
        for database in projections.all { try txn.empty(database) }
        let size = try log.size(in: txn)
        let queue = BoundedQueue<[ReplayedEvent]>(capacity: 4)
        let decoder = ReplayDecoder(ledger: self, size: size, queue: queue)
        let thread = Thread { decoder.run() }
        thread.stackSize = 4 << 20
        thread.start()
        // The decoder's read transaction must end before this closure does: a map-full retry takes
        // the map lock exclusively, and would wait for it forever.
        defer {
            queue.cancel()
            queue.waitUntilFinished()
        }
        var replayed: UInt64 = 0
        while let batch = try queue.pop() {
            for event in batch {
                try projections.apply(
                    event.event, sequence: event.sequence, recordedAt: event.recordedAt, in: txn
                ) { event.identityDigests[$0] }
            }
            let before = replayed
            replayed += UInt64(batch.count)
            if before >> 16 != replayed >> 16 { progress(replayed) }
        }
        guard replayed == size else {
            throw StoredEvent.Unreadable(description: "the replay read \(replayed) of \(size) records")
        }
        progress(size)
        return size
    }

    /// The names of the projection databases whose contents differ from a replay of the records.
    /// The replay happens in a write transaction that is thrown away, so nothing changes; it holds
    /// the write lock while it runs.
    func projectionsDifferingFromReplay() throws -> [String] {
        try environment.writeAndDiscard { txn in
            let stored = try projections.all.map { try contentDigest(of: $0, in: txn) }
            _ = try replayProjections(in: txn) { _ in }
            let replayed = try projections.all.map { try contentDigest(of: $0, in: txn) }
            return zip(projections.all, zip(stored, replayed)).filter { $1.0 != $1.1 }.map { $0.0.name }
        }
    }

    /// SHA-256 over every key and value of a database, each prefixed by its length; streamed, so a
    /// projection of millions of entries is never held in memory.
    private func contentDigest(of database: Database, in txn: Transaction) throws -> Digest {
        let stream = try SHA256Stream()
        try txn.withCursor(database) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                try stream.update(BigEndian.bytes(UInt32(current.key.count)) + current.key)
                try stream.update(BigEndian.bytes(UInt32(current.value.count)) + current.value)
                entry = try cursor.next()
            }
        }
        return try stream.finish()
    }
}

/// One record as the replay applies it.
private struct ReplayedEvent: Sendable {
    let sequence: UInt64
    let event: DomainEvent
    let recordedAt: Int64
    /// Per ingested item, its identity-index key when it is an identity code whose value still opens.
    let identityDigests: [Digest?]
}

/// Decodes records for the replay on its own thread, in its own read transaction.
private final class ReplayDecoder: @unchecked Sendable {
    // @unchecked: created on the replaying thread, then used only by the decoder's thread.
    private let ledger: Ledger
    private let size: UInt64
    private let queue: BoundedQueue<[ReplayedEvent]>
    private static let batchSize = 2_000

    init(ledger: Ledger, size: UInt64, queue: BoundedQueue<[ReplayedEvent]>) {
        self.ledger = ledger
        self.size = size
        self.queue = queue
    }

    private struct Stopped: Error {}

    func run() {
        do {
            let identityIndex = try HMACSHA256(key: ledger.keys.identityIndexKey)
            let vocabulary = Vocabulary.standard
            try ledger.environment.read { txn in
                var batch: [ReplayedEvent] = []
                batch.reserveCapacity(Self.batchSize)
                try ledger.log.forEachRecord(in: txn) { sequence, bytes in
                    // Records appended after the replay began are not the replaying transaction's.
                    guard sequence < size else { return }
                    let stored = try StoredEvent(sequence: sequence, bytes: bytes)
                    var digests: [Digest?] = []
                    for (index, item) in stored.items.enumerated() {
                        guard vocabulary.fields[item.field]?.type == .personalIdentityCode,
                            let value = try stored.value(ofItem: index, vault: ledger.vault, in: txn)
                        else {
                            digests.append(nil)
                            continue
                        }
                        digests.append(try IdentityIndex.digest(of: value, using: identityIndex))
                    }
                    batch.append(
                        ReplayedEvent(
                            sequence: sequence, event: stored.event, recordedAt: stored.record.recordedAt,
                            identityDigests: digests))
                    if batch.count == Self.batchSize {
                        guard queue.push(batch) else { throw Stopped() }
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { guard queue.push(batch) else { throw Stopped() } }
            }
            queue.finish(error: nil)
        } catch {
            queue.finish(error: error)
        }
    }
}
