/// The outcome of recomputing the log.
public enum LogVerification: Equatable, Sendable {
    /// Every record, stored node and the root agree; `nodes` is the number of stored tree nodes.
    case intact(head: TreeHead, nodes: Int)
    /// The first disagreement found, at the sequence number it concerns.
    case damaged(sequence: UInt64, problem: String)
}

/// Walks the records in order, recomputing each leaf hash and every interior node it completes, and
/// compares them with what is stored. Then checks that the tree holds no node beyond those (a record
/// deleted from the end leaves its leaf behind).
struct LogVerifier {
    let log: AppendOnlyLog
    let txn: Transaction

    func run(progress: (UInt64) -> Void) throws -> LogVerification {
        let hasher = SHA256Hasher()
        var frontier = [Digest?](repeating: nil, count: 64)
        var expected: UInt64 = 0
        let damage: LogVerification? = try txn.withCursor(log.records) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                guard current.key.count == 8, let sequence = BigEndian.uint64(current.key) else {
                    return .damaged(sequence: expected, problem: "a record key is not an 8-byte sequence number")
                }
                if sequence != expected {
                    return .damaged(sequence: expected, problem: "record \(expected) is missing")
                }
                var digest = try MerkleHashing.leafHash(current.value, using: hasher)
                if let problem = try compare(digest, level: 0, index: sequence) {
                    return .damaged(sequence: sequence, problem: problem)
                }
                var level = 0
                var index = sequence
                while index & 1 == 1 {
                    guard let left = frontier[level] else {
                        return .damaged(sequence: sequence, problem: "the tree's right edge is inconsistent")
                    }
                    frontier[level] = nil
                    digest = try MerkleHashing.nodeHash(left, digest, using: hasher)
                    level += 1
                    index >>= 1
                    if let problem = try compare(digest, level: level, index: index) {
                        return .damaged(sequence: sequence, problem: problem)
                    }
                }
                frontier[level] = digest
                expected += 1
                if expected & 0xffff == 0 { progress(expected) }
                entry = try cursor.next()
            }
            return nil
        }
        if let damage { return damage }
        progress(expected)

        let storedNodes = try txn.statistics(log.tree.nodes).entries
        let expectedNodes = Int(2 * expected) - expected.nonzeroBitCount
        if storedNodes != expectedNodes {
            if try txn.get(log.tree.nodes, key: MerkleTree.key(level: 0, index: expected)) != nil {
                return .damaged(
                    sequence: expected, problem: "record \(expected) is missing but its leaf hash is stored")
            }
            return .damaged(
                sequence: expected,
                problem: "the tree stores \(storedNodes) nodes where \(expected) records make \(expectedNodes)")
        }
        let root = try MerkleHashing.foldRoot(frontier, using: hasher) ?? MerkleHashing.emptyRoot(using: hasher)
        return .intact(head: TreeHead(size: expected, root: root), nodes: storedNodes)
    }

    private func compare(_ digest: Digest, level: Int, index: UInt64) throws -> String? {
        guard let stored = try txn.get(log.tree.nodes, key: MerkleTree.key(level: level, index: index)) else {
            return "stored Merkle node (level \(level), index \(index)) is missing"
        }
        guard stored == digest.bytes else {
            return level == 0
                ? "record \(index) does not match its stored leaf hash"
                : "stored Merkle node (level \(level), index \(index)) does not match the records"
        }
        return nil
    }
}
