import CLMDB

/// A position in one database, valid only inside ``Transaction/withCursor(_:_:)``, or while its
/// transaction lasts for one the transaction keeps (`Transaction.sharedCursor(_:)`).
/// Every move returns a copy of the entry it lands on, or `nil` past either end.
public struct Cursor {
    let handle: OpaquePointer
    let database: Database
    /// Unretained: a cursor lives inside `withCursor`, which its transaction outlives, or is kept by
    /// the transaction itself (a shared cursor, which a strong reference would make a cycle). A strong
    /// or unowned reference cost a retain and a release at every move (a few percent of `verify`).
    private let transaction: Unmanaged<Transaction>

    init(handle: OpaquePointer, database: Database, transaction: Transaction) {
        self.handle = handle
        self.database = database
        self.transaction = Unmanaged.passUnretained(transaction)
    }

    /// One stored entry, copied out of the map.
    public struct Entry: Equatable, Sendable {
        public let key: [UInt8]
        public let value: [UInt8]
    }

    public func first() throws -> Entry? { try move(MDB_FIRST) }
    public func last() throws -> Entry? { try move(MDB_LAST) }
    public func next() throws -> Entry? { try move(MDB_NEXT) }
    public func previous() throws -> Entry? { try move(MDB_PREV) }

    /// The first entry whose key is greater than or equal to `key` (`MDB_SET_RANGE`).
    public func seek(atLeast key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val()
            return try position(&k, &v, MDB_SET_RANGE)
        }
    }

    /// Where ``withEntry(_:_:)`` moves.
    public enum Move {
        case first, next, last, previous

        var operation: MDB_cursor_op {
            switch self {
            case .first: MDB_FIRST
            case .next: MDB_NEXT
            case .last: MDB_LAST
            case .previous: MDB_PREV
            }
        }
    }

    /// Moves and calls `body` with the entry's key and value in place, without copying them; `nil`
    /// past either end. The buffers die with the move after them: they must not escape `body`. For the
    /// scans that read every record, where a copy per entry was a measurable share.
    public func withEntry<T>(
        _ move: Move, _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> T
    ) throws -> T? {
        var k = MDB_val()
        var v = MDB_val()
        return try withPosition(&k, &v, move.operation, body)
    }

    /// Like ``seek(atLeast:)``, without copying the entry.
    public func withEntry<T>(
        atLeast key: [UInt8], _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> T
    ) throws -> T? {
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val()
            return try withPosition(&k, &v, MDB_SET_RANGE, body)
        }
    }

    private func withPosition<T>(
        _ k: inout MDB_val, _ v: inout MDB_val, _ op: MDB_cursor_op,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> T
    ) throws -> T? {
        transaction._withUnsafeGuaranteedRef { $0.countRead() }
        let code = mdb_cursor_get(handle, &k, &v, op)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_cursor_get(\(database.name))")
        return try body(
            UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
            UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    private func move(_ op: MDB_cursor_op) throws -> Entry? {
        var k = MDB_val()
        var v = MDB_val()
        return try position(&k, &v, op)
    }

    private func position(_ k: inout MDB_val, _ v: inout MDB_val, _ op: MDB_cursor_op) throws -> Entry? {
        transaction._withUnsafeGuaranteedRef { $0.countRead() }
        let code = mdb_cursor_get(handle, &k, &v, op)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_cursor_get(\(database.name))")
        return Entry(
            key: Array(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size)),
            value: Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)))
    }
}
