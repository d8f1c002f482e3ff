/// The head of the tree at one size: how many leaves, and the root hash over them.
public struct TreeHead: Equatable, Sendable {
    public let size: UInt64
    public let root: Digest
}

/// The RFC 9162 Merkle tree, stored as its perfect subtrees.
///
/// Every perfect subtree, one covering leaves `[index·2^level, (index+1)·2^level)`, is stored once it
/// is complete, under the 9-byte key `level ‖ index` (1 byte, then 8 bytes big-endian) with its
/// 32-byte hash as value. Perfect subtrees never change as the log grows, so the nodes of any past
/// tree size are there too. Any tree size is the concatenation of at most 64 perfect subtrees (its
/// binary decomposition), so a root costs at most ⌈log₂ n⌉ reads; a proof reads each sibling once and
/// shares the partial right-edge hashes between levels, so it costs O(log n) reads as well.
struct MerkleTree: Sendable {
    let nodes: Database

    static func key(level: Int, index: UInt64) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(9)
        key.append(UInt8(level))
        BigEndian.append(index, to: &key)
        return key
    }

    func node(level: Int, index: UInt64, in txn: Transaction) throws -> Digest {
        guard let bytes = try txn.get(nodes, key: Self.key(level: level, index: index)),
            let digest = Digest(bytes: bytes)
        else { throw LogError.missingNode(level: level, index: index) }
        return digest
    }

    func store(_ digest: Digest, level: Int, index: UInt64, in txn: Transaction) throws {
        try txn.put(nodes, key: Self.key(level: level, index: index), value: digest.bytes)
    }

    /// The perfect subtrees that make up a tree of `size` leaves, indexed by level.
    func perfectSubtrees(ofSize size: UInt64, in txn: Transaction) throws -> [Digest?] {
        var subtrees = [Digest?](repeating: nil, count: 64)
        for level in 0..<64 where size >> UInt64(level) & 1 == 1 {
            subtrees[level] = try node(level: level, index: (size >> UInt64(level)) - 1, in: txn)
        }
        return subtrees
    }

    func root(ofSize size: UInt64, in txn: Transaction, hasher: SHA256Hasher) throws -> Digest {
        try MerkleHashing.foldRoot(perfectSubtrees(ofSize: size, in: txn), using: hasher)
            ?? MerkleHashing.emptyRoot(using: hasher)
    }

    /// RFC 9162 PATH(m, D[0:n]).
    func inclusionProof(leaf: UInt64, treeSize: UInt64, in txn: Transaction, hasher: SHA256Hasher) throws -> [Digest] {
        var ranges = RangeHasher(tree: self, txn: txn, hasher: hasher)
        var proof: [Digest] = []
        try ranges.path(leaf: leaf, start: 0, end: treeSize, into: &proof)
        return proof
    }

    /// RFC 9162 PROOF(m, D[0:n]) for 0 < m ≤ n.
    func consistencyProof(from first: UInt64, to second: UInt64, in txn: Transaction, hasher: SHA256Hasher) throws
        -> [Digest]
    {
        var ranges = RangeHasher(tree: self, txn: txn, hasher: hasher)
        var proof: [Digest] = []
        try ranges.subproof(size: first, start: 0, end: second, complete: true, into: &proof)
        return proof
    }
}

/// Hashes of the leaf ranges a proof needs. A range of RFC 9162's recursion is either a perfect,
/// aligned subtree (one stored node) or ends at the tree's right edge; the right-edge ranges nest,
/// so they are computed once each and remembered.
private struct RangeHasher {
    let tree: MerkleTree
    let txn: Transaction
    let hasher: SHA256Hasher
    private var rightEdge: [UInt64: Digest] = [:]

    init(tree: MerkleTree, txn: Transaction, hasher: SHA256Hasher) {
        self.tree = tree
        self.txn = txn
        self.hasher = hasher
    }

    /// MTH(D[start:end]), for a range whose start is aligned to a power of two at least its size.
    mutating func hash(start: UInt64, end: UInt64) throws -> Digest {
        let size = end - start
        if size & (size - 1) == 0 {
            return try tree.node(level: size.trailingZeroBitCount, index: start / size, in: txn)
        }
        if let known = rightEdge[start] { return known }
        let k = MerkleHashing.splitPoint(size)
        let digest = try MerkleHashing.nodeHash(
            hash(start: start, end: start + k), hash(start: start + k, end: end), using: hasher)
        rightEdge[start] = digest
        return digest
    }

    mutating func path(leaf: UInt64, start: UInt64, end: UInt64, into proof: inout [Digest]) throws {
        let size = end - start
        guard size > 1 else { return }
        let k = MerkleHashing.splitPoint(size)
        if leaf - start < k {
            try path(leaf: leaf, start: start, end: start + k, into: &proof)
            proof.append(try hash(start: start + k, end: end))
        } else {
            try path(leaf: leaf, start: start + k, end: end, into: &proof)
            proof.append(try hash(start: start, end: start + k))
        }
    }

    mutating func subproof(size m: UInt64, start: UInt64, end: UInt64, complete: Bool, into proof: inout [Digest])
        throws
    {
        let n = end - start
        if m == n {
            if !complete { proof.append(try hash(start: start, end: end)) }
            return
        }
        let k = MerkleHashing.splitPoint(n)
        if m <= k {
            try subproof(size: m, start: start, end: start + k, complete: complete, into: &proof)
            proof.append(try hash(start: start + k, end: end))
        } else {
            try subproof(size: m - k, start: start + k, end: end, complete: false, into: &proof)
            proof.append(try hash(start: start, end: start + k))
        }
    }
}
