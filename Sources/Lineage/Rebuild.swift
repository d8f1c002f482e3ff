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

    func replayProjections(in txn: Transaction, progress: (UInt64) -> Void) throws -> UInt64 {
        for database in projections.all { try txn.empty(database) }
        let identityIndex = try HMACSHA256(key: keys.identityIndexKey)
        let size = try log.size(in: txn)
        try log.forEachRecord(in: txn) { sequence, bytes in
            let stored = try StoredEvent(sequence: sequence, bytes: bytes)
            try projections.apply(stored.event, sequence: sequence, recordedAt: stored.record.recordedAt, in: txn) {
                index in
                guard let value = try stored.value(ofItem: index, vault: vault, in: txn) else { return nil }
                return try IdentityIndex.digest(of: value, using: identityIndex)
            }
            if (sequence + 1) & 0xffff == 0 { progress(sequence + 1) }
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
