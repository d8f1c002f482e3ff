import Foundation

/// The outcome of recomputing the log.
public enum LogVerification: Equatable, Sendable {
    /// Every record, stored node and the root agree; `nodes` is the number of stored tree nodes.
    case intact(head: TreeHead, nodes: Int)
    /// The first disagreement found, at the sequence number it concerns.
    case damaged(sequence: UInt64, problem: String)
}

/// Recomputes the tree from the records and compares every stored node, reading everything in key
/// order: first the records beside the stored leaf hashes, then each level's stored nodes beside the
/// level below (both ranges walked with cursors, no lookups). Reports the earliest damage in record
/// order — the record that completes the first node (or leaf) that disagrees — then checks that the
/// tree holds no node beyond those (a record deleted from the end leaves its leaf behind).
struct LogVerifier {
    let log: AppendOnlyLog
    let txn: Transaction

    /// The first disagreement found so far: the record that completes it, and what it is.
    private struct Damage {
        let sequence: UInt64
        let problem: String
    }

    func run(progress: (UInt64) -> Void) throws -> LogVerification {
        let hasher = SHA256Hasher()
        var (count, damage) = try verifyLeaves(hasher: hasher, progress: progress)
        progress(count)
        // Higher levels, as far as nodes completed before any damage already found.
        var level = 1
        while count >> UInt64(level) > 0 {
            if let found = try verifyLevel(level, size: count, before: damage?.sequence ?? count, hasher: hasher) {
                if found.sequence < damage?.sequence ?? .max { damage = found }
            }
            level += 1
        }
        if let damage { return .damaged(sequence: damage.sequence, problem: damage.problem) }

        let storedNodes = try txn.statistics(log.tree.nodes).entries
        let expectedNodes = Int(2 * count) - count.nonzeroBitCount
        if storedNodes != expectedNodes {
            if try txn.get(log.tree.nodes, key: MerkleTree.key(level: 0, index: count)) != nil {
                return .damaged(sequence: count, problem: "record \(count) is missing but its leaf hash is stored")
            }
            return .damaged(
                sequence: count,
                problem: "the tree stores \(storedNodes) nodes where \(count) records make \(expectedNodes)")
        }
        // The root folds the perfect subtrees of the size's binary decomposition (indexed by level, as
        // foldRoot takes them); each is a stored node the passes above have just checked.
        var subtrees = [Digest?](repeating: nil, count: 64)
        for level in 0..<64 where count >> UInt64(level) & 1 == 1 {
            let index = (count >> UInt64(level)) - 1
            guard let bytes = try txn.get(log.tree.nodes, key: MerkleTree.key(level: level, index: index)),
                let digest = Digest(bytes: bytes)
            else {
                return .damaged(
                    sequence: count - 1, problem: "stored Merkle node (level \(level), index \(index)) is missing")
            }
            subtrees[level] = digest
        }
        let root = try MerkleHashing.foldRoot(subtrees, using: hasher) ?? MerkleHashing.emptyRoot(using: hasher)
        return .intact(head: TreeHead(size: count, root: root), nodes: storedNodes)
    }

    /// The records against the stored leaf hashes (level 0), both in order. Returns the number of
    /// records up to the first damage, and the damage.
    private func verifyLeaves(hasher: SHA256Hasher, progress: (UInt64) -> Void) throws -> (UInt64, Damage?) {
        try txn.withCursor(log.records) { records in
            try txn.withCursor(log.tree.nodes) { nodes in
                var expected: UInt64 = 0
                var nodeMove = NodeCursor(cursor: nodes, level: 0)
                var move = Cursor.Move.first
                while true {
                    let outcome: Damage?? = try records.withEntry(move) { key, value in
                        guard key.count == 8, let sequence = BigEndian.uint64(key) else {
                            return Damage(sequence: expected, problem: "a record key is not an 8-byte sequence number")
                        }
                        if sequence != expected {
                            return Damage(sequence: expected, problem: "record \(expected) is missing")
                        }
                        let digest = try MerkleHashing.leafHash(value, using: hasher)
                        if let problem = try nodeMove.compare(digest, index: sequence) {
                            return Damage(sequence: sequence, problem: problem)
                        }
                        return nil
                    }
                    guard let outcome else { return (expected, nil) }  // past the last record
                    if let damage = outcome { return (expected, damage) }
                    expected += 1
                    if expected & 0xffff == 0 { progress(expected) }
                    move = .next
                }
            }
        }
    }

    /// Level `level`'s stored nodes against the nodes recomputed from the stored level below (checked
    /// by the previous pass), for the nodes completed by records before `limit`.
    private func verifyLevel(_ level: Int, size: UInt64, before limit: UInt64, hasher: SHA256Hasher) throws -> Damage? {
        try txn.withCursor(log.tree.nodes) { lower in
            try txn.withCursor(log.tree.nodes) { upper in
                var children = NodeCursor(cursor: lower, level: level - 1)
                var parents = NodeCursor(cursor: upper, level: level)
                // 0x01 ‖ left ‖ right, refilled for each node.
                var input = [UInt8](repeating: 0, count: 1 + 2 * Digest.byteCount)
                input[0] = MerkleHashing.nodePrefix[0]
                var index: UInt64 = 0
                while index < size >> UInt64(level) {
                    let completedBy = (index + 1) << UInt64(level) - 1
                    guard completedBy < limit else { return nil }
                    guard try children.copy(index: 2 * index, into: &input, at: 1),
                        try children.copy(index: 2 * index + 1, into: &input, at: 1 + Digest.byteCount)
                    else {
                        return Damage(
                            sequence: completedBy,
                            problem: "stored Merkle node (level \(level - 1), index \(2 * index)) is missing")
                    }
                    let digest = try input.withUnsafeBytes { try hasher.digest($0) }
                    if let problem = try parents.compare(digest, index: index) {
                        return Damage(sequence: completedBy, problem: problem)
                    }
                    index += 1
                }
                return nil
            }
        }
    }
}

/// Walks one level of the stored tree in index order, expecting every index in turn.
private struct NodeCursor {
    let cursor: Cursor
    let level: Int
    private var started = false
    /// level ‖ index, rewritten in place for each node rather than built anew.
    private var expectedKey: [UInt8]

    init(cursor: Cursor, level: Int) {
        self.cursor = cursor
        self.level = level
        expectedKey = MerkleTree.key(level: level, index: 0)
    }

    /// Moves to the node `index` and calls `body` with its stored bytes; nil when the next stored
    /// entry is not that node (it is missing).
    private mutating func advance<T>(to index: UInt64, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        for byte in 0..<8 { expectedKey[1 + byte] = UInt8(truncatingIfNeeded: index >> (8 * (7 - UInt64(byte)))) }
        let expected = expectedKey
        let found: T?? =
            started
            ? try cursor.withEntry(.next) { key, value in Self.equal(key, expected) ? try body(value) : nil }
            : try cursor.withEntry(atLeast: expected) { key, value in
                Self.equal(key, expected) ? try body(value) : nil
            }
        started = true
        return found ?? nil
    }

    private static func equal(_ stored: UnsafeRawBufferPointer, _ bytes: [UInt8]) -> Bool {
        stored.count == bytes.count
            && bytes.withUnsafeBytes { memcmp(stored.baseAddress!, $0.baseAddress!, bytes.count) == 0 }
    }

    /// The problem with stored node `index` against the recomputed `digest`, nil when they agree.
    mutating func compare(_ digest: Digest, index: UInt64) throws -> String? {
        let agrees = try advance(to: index) { stored in Self.equal(stored, digest.bytes) }
        guard let agrees else {
            started = false  // the cursor sits past the gap: seek to the next expected key from here on
            return "stored Merkle node (level \(level), index \(index)) is missing"
        }
        if agrees { return nil }
        return level == 0
            ? "record \(index) does not match its stored leaf hash"
            : "stored Merkle node (level \(level), index \(index)) does not match the records"
    }

    /// Copies stored node `index` into `buffer` at `offset`; false when it is missing or not a digest.
    mutating func copy(index: UInt64, into buffer: inout [UInt8], at offset: Int) throws -> Bool {
        try advance(to: index) { stored -> Bool in
            guard stored.count == Digest.byteCount else { return false }
            buffer.withUnsafeMutableBytes { target in
                target.baseAddress!.advanced(by: offset).copyMemory(from: stored.baseAddress!, byteCount: stored.count)
            }
            return true
        } ?? false
    }
}
