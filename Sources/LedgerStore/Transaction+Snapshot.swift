import CLMDB

extension Transaction {
    /// The snapshot this transaction reads: LMDB's id of the last committed write transaction it
    /// sees (a write transaction's own id). Two read transactions of one environment with the same
    /// id see exactly the same data, so a process may keep what it derived from one for the next.
    /// The corresponding C function is `mdb_txn_id`.
    public var snapshotID: UInt64 { UInt64(mdb_txn_id(handle)) }
}
