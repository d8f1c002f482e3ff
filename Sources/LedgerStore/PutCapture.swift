import Foundation

/// One `mdb_put` (or, when `isDelete`, one deletion of `key`) as a committed write transaction made
/// it: the database's name, the bytes and the put flags.
public struct CapturedPut: Sendable {
    public let database: String
    public let key: [UInt8]
    public let value: [UInt8]
    public let flags: PutFlags
    public let isDelete: Bool
}

/// Records every put and delete of the write transactions an environment commits, in order, one list per
/// transaction. The benchmark replays them through LMDB's C API to measure what LMDB alone costs for
/// exactly our writes, so that the ratio to it is our own overhead. Puts of a transaction that is
/// aborted (a dry run, a map-full retry, a thrown error) are dropped with it.
///
/// It copies every key and value, so it is for measurements only; an environment without one pays a
/// single nil check per put.
public final class PutCapture: @unchecked Sendable {
    // @unchecked: every field is touched only with `lock` held.
    private let lock = NSLock()
    private var pending: [CapturedPut] = []
    private var committed: [[CapturedPut]] = []

    public init() {}

    /// The committed transactions so far, oldest first.
    public var transactions: [[CapturedPut]] {
        lock.withLock { committed }
    }

    /// Hands over the committed transactions and forgets them.
    public func take() -> [[CapturedPut]] {
        lock.withLock {
            defer { committed = [] }
            return committed
        }
    }

    func record(_ database: Database, key: [UInt8], value: [UInt8], flags: PutFlags) {
        lock.withLock {
            pending.append(CapturedPut(database: database.name, key: key, value: value, flags: flags, isDelete: false))
        }
    }

    func recordDelete(_ database: Database, key: [UInt8]) {
        lock.withLock {
            pending.append(CapturedPut(database: database.name, key: key, value: [], flags: [], isDelete: true))
        }
    }

    func transactionCommitted() {
        lock.withLock {
            committed.append(pending)
            pending = []
        }
    }

    func transactionAborted() {
        lock.withLock { pending = [] }
    }
}
