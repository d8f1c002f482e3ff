/// The verification algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2, for checking proofs the
/// ledger hands out (an auditor runs the same steps in their own code).
public enum MerkleProofVerifier {
    /// Whether `proof` shows that the leaf with `leafHash` is leaf `leafIndex` of the tree of
    /// `treeSize` leaves whose root is `root`.
    public static func verifyInclusion(
        leafIndex: UInt64, treeSize: UInt64, leafHash: Digest, proof: [Digest], root: Digest
    ) throws -> Bool {
        guard leafIndex < treeSize else { return false }
        let hasher = SHA256Hasher()
        var fn = leafIndex
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = try MerkleHashing.nodeHash(p, r, using: hasher)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = try MerkleHashing.nodeHash(r, p, using: hasher)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Whether `proof` shows that the tree of `secondSize` leaves with `secondRoot` extends the tree
    /// of `firstSize` leaves with `firstRoot` (0 < firstSize ≤ secondSize).
    public static func verifyConsistency(
        firstSize: UInt64, secondSize: UInt64, firstRoot: Digest, secondRoot: Digest, proof: [Digest]
    ) throws -> Bool {
        guard firstSize > 0, firstSize <= secondSize else { return false }
        if firstSize == secondSize { return proof.isEmpty && firstRoot == secondRoot }
        guard !proof.isEmpty else { return false }
        let hasher = SHA256Hasher()
        var path = proof
        if firstSize & (firstSize - 1) == 0 { path.insert(firstRoot, at: 0) }
        var fn = firstSize - 1
        var sn = secondSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = try MerkleHashing.nodeHash(c, fr, using: hasher)
                sr = try MerkleHashing.nodeHash(c, sr, using: hasher)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = try MerkleHashing.nodeHash(sr, c, using: hasher)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr == firstRoot && sr == secondRoot
    }
}
