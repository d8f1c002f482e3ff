import Lineage

/// The tests' own RFC 9162 section 2.1 code, written from the RFC's text; only the raw SHA-256
/// comes from the library.
enum RFC9162 {
    static func sha256(_ bytes: [UInt8]) throws -> [UInt8] {
        try SHA256Hasher.digest(of: bytes).bytes
    }

    /// SHA-256(0x00 ‖ record).
    static func leafHash(_ record: [UInt8]) throws -> [UInt8] { try sha256([0x00] + record) }

    /// SHA-256(0x01 ‖ left ‖ right).
    static func nodeHash(_ left: [UInt8], _ right: [UInt8]) throws -> [UInt8] { try sha256([0x01] + left + right) }

    /// MTH(D[n]) of section 2.1.1, by its recursive definition.
    static func root(_ leaves: ArraySlice<[UInt8]>) throws -> [UInt8] {
        switch leaves.count {
        case 0: return try sha256([])
        case 1: return leaves[leaves.startIndex]
        default:
            var k = 1
            while k << 1 < leaves.count { k <<= 1 }
            let split = leaves.startIndex + k
            return try nodeHash(try root(leaves[..<split]), try root(leaves[split...]))
        }
    }

    /// Section 2.1.3.2: verifying an inclusion proof, step by step.
    static func verifyInclusion(
        leafIndex: UInt64, treeSize: UInt64, leafHash: [UInt8], path: [[UInt8]], root: [UInt8]
    ) throws -> Bool {
        // 1. leaf_index must be below tree_size.
        guard leafIndex < treeSize else { return false }
        // 2. fn = leaf_index, sn = tree_size - 1.
        var fn = leafIndex
        var sn = treeSize - 1
        // 3. r = hash.
        var r = leafHash
        // 4. For each p in inclusion_path:
        for p in path {
            // a. sn == 0 means the path is too long.
            if sn == 0 { return false }
            // b.
            if fn & 1 == 1 || fn == sn {
                // i. r = HASH(0x01 || p || r)
                r = try nodeHash(p, r)
                // ii. if LSB(fn) is not set, shift until it is or fn is 0.
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                // Otherwise r = HASH(0x01 || r || p).
                r = try nodeHash(r, p)
            }
            // c. shift both once.
            fn >>= 1
            sn >>= 1
        }
        // 5. sn must be 0 and r the root.
        return sn == 0 && r == root
    }

    /// Section 2.1.4.2: verifying a consistency proof, step by step (0 < first < second).
    static func verifyConsistency(
        first: UInt64, second: UInt64, firstHash: [UInt8], secondHash: [UInt8], path: [[UInt8]]
    ) throws -> Bool {
        guard first > 0, first < second else { return false }
        // 1. An empty path fails.
        guard !path.isEmpty else { return false }
        var path = path
        // 2. If first is an exact power of 2, prepend first_hash.
        if first & (first - 1) == 0 { path.insert(firstHash, at: 0) }
        // 3. fn = first - 1, sn = second - 1.
        var fn = first - 1
        var sn = second - 1
        // 4. If LSB(fn) is set, shift both until it is not.
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        // 5. fr = sr = the first value of the path.
        var fr = path[0]
        var sr = path[0]
        // 6. For each subsequent value c:
        for c in path.dropFirst() {
            // a.
            if sn == 0 { return false }
            // b.
            if fn & 1 == 1 || fn == sn {
                // i.
                fr = try nodeHash(c, fr)
                sr = try nodeHash(c, sr)
                // ii.
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = try nodeHash(sr, c)
            }
            // c.
            fn >>= 1
            sn >>= 1
        }
        // 7.
        return fr == firstHash && sr == secondHash && sn == 0
    }
}
