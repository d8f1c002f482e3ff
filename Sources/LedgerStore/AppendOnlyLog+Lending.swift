extension AppendOnlyLog {
    /// Calls `body` with the record stored under `sequence` in place, without copying it out of the
    /// map, or with `nil` when there is none. The bytes die with the transaction (and must not
    /// escape `body`): for the queries, which read a few fields of many records.
    public func withRecord<T>(
        at sequence: UInt64, in txn: Transaction, _ body: (UnsafeRawBufferPointer?) throws -> T
    ) throws -> T {
        try txn.withValue(records, key: BigEndian.bytes(sequence), body)
    }
}
