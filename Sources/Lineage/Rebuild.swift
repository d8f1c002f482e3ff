extension Ledger {
    /// Empties every projection database and replays the records into them, in one write
    /// transaction: readers see the old projections until it commits, never a half-built one. The
    /// identity index is rebuilt only from values that can still be opened. Returns the number of
    /// records replayed.
    @discardableResult
    public func rebuildProjections(progress: (UInt64) -> Void = { _ in }) throws -> UInt64 {
        try environment.write { txn in
            for database in projections.all { try txn.empty(database) }
            let identityIndex = try HMACSHA256(key: keys.identityIndexKey)
            let size = try log.size(in: txn)
            try log.forEachRecord(in: txn) { sequence, bytes in
                let stored = try StoredEvent(sequence: sequence, bytes: bytes)
                try projections.apply(stored.event, sequence: sequence, in: txn) { index in
                    guard let value = try stored.value(ofItem: index, vault: vault, in: txn) else { return nil }
                    return try IdentityIndex.digest(of: value, using: identityIndex)
                }
                if (sequence + 1) & 0xffff == 0 { progress(sequence + 1) }
            }
            progress(size)
            return size
        }
    }

    /// The databases `rebuild` empties and replays.
    public var projectionDatabases: [Database] { projections.all }
}
