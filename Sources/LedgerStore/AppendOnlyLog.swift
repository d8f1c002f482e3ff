/// An inclusion proof: the audit path from one leaf to the root of a tree size.
public struct InclusionProof: Equatable, Sendable {
    public let sequence: UInt64
    public let treeSize: UInt64
    public let leafHash: Digest
    public let path: [Digest]
    public let root: Digest
}

/// A consistency proof between two tree sizes of the same log.
public struct ConsistencyProof: Equatable, Sendable {
    public let first: TreeHead
    public let second: TreeHead
    public let path: [Digest]
}

/// An append-only log of opaque records in LMDB, with an RFC 9162 Merkle tree over them kept in the
/// same write transaction.
///
/// Records live in the database `log.records` under their sequence number (8 bytes, big-endian; the
/// first record is 0, which is also its RFC 9162 leaf index). Nothing here deletes or changes a record.
/// The tree lives in `log.merkle` (see ``MerkleTree``).
public final class AppendOnlyLog: Sendable {
    public static let recordsDatabaseName = "log.records"
    public static let merkleDatabaseName = "log.merkle"

    public let environment: Environment
    let records: Database
    let tree: MerkleTree

    /// Opens the log's databases, creating them if the environment is writable and they are missing.
    public init(environment: Environment) throws {
        self.environment = environment
        let databases = try environment.openDatabases([
            (Self.recordsDatabaseName, []), (Self.merkleDatabaseName, []),
        ])
        records = databases[0]
        tree = MerkleTree(nodes: databases[1])
    }

    /// The databases the log owns, for statistics and for tests that tamper with them.
    public var databases: [Database] { [records, tree.nodes] }

    /// The number of records: one more than the last sequence number.
    public func size(in txn: Transaction) throws -> UInt64 {
        try txn.withCursor(records) { cursor in
            guard let last = try cursor.last(), let seq = BigEndian.uint64(last.key) else { return 0 }
            return seq + 1
        }
    }

    /// The record stored under `sequence`, or `nil` if there is none.
    public func record(at sequence: UInt64, in txn: Transaction) throws -> [UInt8]? {
        try txn.get(records, key: BigEndian.bytes(sequence))
    }

    /// Calls `body` with every record in sequence order, from `start` and below `end` (to the last
    /// without one), in one cursor pass.
    public func forEachRecord(
        in txn: Transaction, from start: UInt64 = 0, to end: UInt64? = nil, _ body: (UInt64, [UInt8]) throws -> Void
    ) throws {
        try txn.withCursor(records) { cursor in
            var entry = try cursor.seek(atLeast: BigEndian.bytes(start))
            while let current = entry, let sequence = BigEndian.uint64(current.key), sequence < end ?? .max {
                try body(sequence, current.value)
                entry = try cursor.next()
            }
        }
    }

    /// The tree head of the whole log, or of an earlier `size`.
    public func treeHead(size: UInt64? = nil, in txn: Transaction) throws -> TreeHead {
        let current = try self.size(in: txn)
        let size = size ?? current
        guard size <= current else { throw LogError.treeSizeOutOfRange(requested: size, treeSize: current) }
        return TreeHead(size: size, root: try tree.root(ofSize: size, in: txn, hasher: SHA256Hasher()))
    }

    /// Proves that record `sequence` is in the tree of `treeSize` leaves (the whole log by default).
    public func inclusionProof(sequence: UInt64, treeSize: UInt64? = nil, in txn: Transaction) throws -> InclusionProof
    {
        let current = try size(in: txn)
        let treeSize = treeSize ?? current
        guard treeSize <= current else { throw LogError.treeSizeOutOfRange(requested: treeSize, treeSize: current) }
        guard sequence < treeSize else { throw LogError.sequenceOutOfRange(sequence: sequence, treeSize: treeSize) }
        let hasher = SHA256Hasher()
        return InclusionProof(
            sequence: sequence, treeSize: treeSize,
            leafHash: try tree.node(level: 0, index: sequence, in: txn),
            path: try tree.inclusionProof(leaf: sequence, treeSize: treeSize, in: txn, hasher: hasher),
            root: try tree.root(ofSize: treeSize, in: txn, hasher: hasher))
    }

    /// Proves that the tree of `second` leaves (the whole log by default) extends the tree of `first`
    /// leaves, 0 < first ≤ second.
    public func consistencyProof(from first: UInt64, to second: UInt64? = nil, in txn: Transaction) throws
        -> ConsistencyProof
    {
        let current = try size(in: txn)
        let second = second ?? current
        guard second <= current else { throw LogError.treeSizeOutOfRange(requested: second, treeSize: current) }
        guard first > 0, first <= second else { throw LogError.treeSizeOutOfRange(requested: first, treeSize: second) }
        let hasher = SHA256Hasher()
        return ConsistencyProof(
            first: TreeHead(size: first, root: try tree.root(ofSize: first, in: txn, hasher: hasher)),
            second: TreeHead(size: second, root: try tree.root(ofSize: second, in: txn, hasher: hasher)),
            path: try tree.consistencyProof(from: first, to: second, in: txn, hasher: hasher))
    }

    /// Starts appending inside the caller's write transaction; the caller may do its own reads and
    /// writes (validation, projections) between appends, in the same transaction.
    public func appender(in txn: Transaction) throws -> LogAppender {
        try LogAppender(log: self, txn: txn)
    }

    /// Recomputes every leaf, every stored node and the root from the records; see ``LogVerifier``.
    /// The work is shared by `workers` threads (this one included); each record is also shown to the
    /// inspector of the thread that reads it (one per worker, or none).
    public func verify(
        in txn: Transaction, workers: Int = 1, inspectors: [any RecordInspector] = [],
        progress: (UInt64) -> Void = { _ in }
    ) throws -> LogVerification {
        try LogVerifier(log: self, txn: txn).run(workers: workers, inspectors: inspectors, progress: progress)
    }
}

/// Appends records within one write transaction, keeping the tree's right edge in memory so that
/// each append costs one record put, one leaf put and, on average, one interior-node put.
public final class LogAppender {
    private let log: AppendOnlyLog
    private let txn: Transaction
    private let hasher = SHA256Hasher()
    /// The perfect subtrees of the current size, by level.
    private var frontier: [Digest?]
    /// The number of records, and so the next sequence number.
    public private(set) var size: UInt64

    init(log: AppendOnlyLog, txn: Transaction) throws {
        self.log = log
        self.txn = txn
        size = try log.size(in: txn)
        frontier = try log.tree.perfectSubtrees(ofSize: size, in: txn)
    }

    /// Appends one record and returns its sequence number.
    @discardableResult
    public func append(_ record: [UInt8]) throws -> UInt64 {
        let sequence = size
        try txn.append(log.records, key: BigEndian.bytes(sequence), value: record)
        var digest = try MerkleHashing.leafHash(record, using: hasher)
        try log.tree.store(digest, level: 0, index: sequence, in: txn)
        var level = 0
        var index = sequence
        while index & 1 == 1 {
            guard let left = frontier[level] else { throw LogError.missingNode(level: level, index: index - 1) }
            frontier[level] = nil
            digest = try MerkleHashing.nodeHash(left, digest, using: hasher)
            level += 1
            index >>= 1
            try log.tree.store(digest, level: level, index: index, in: txn)
        }
        frontier[level] = digest
        size += 1
        return sequence
    }

    /// The tree head after the appends so far.
    public func treeHead() throws -> TreeHead {
        TreeHead(
            size: size,
            root: try MerkleHashing.foldRoot(frontier, using: hasher) ?? MerkleHashing.emptyRoot(using: hasher))
    }
}
