/// The hashes of RFC 9162 section 2.1: a leaf is SHA-256(0x00 ‖ record bytes), an interior node
/// SHA-256(0x01 ‖ left ‖ right), the empty tree SHA-256 of nothing. The prefixes keep a leaf from
/// ever being passed off as a node (second-preimage resistance).
public enum MerkleHashing {
    static let leafPrefix: [UInt8] = [0x00]
    static let nodePrefix: [UInt8] = [0x01]

    public static func leafHash(_ record: UnsafeRawBufferPointer, using hasher: SHA256Hasher) throws -> Digest {
        try leafPrefix.withUnsafeBytes { prefix in try hasher.digest(prefix, record) }
    }

    public static func leafHash(_ record: [UInt8], using hasher: SHA256Hasher) throws -> Digest {
        try record.withUnsafeBytes { try leafHash($0, using: hasher) }
    }

    public static func nodeHash(_ left: Digest, _ right: Digest, using hasher: SHA256Hasher) throws -> Digest {
        try nodePrefix.withUnsafeBytes { prefix in
            try left.bytes.withUnsafeBytes { l in
                try right.bytes.withUnsafeBytes { r in try hasher.digest(prefix, l, r) }
            }
        }
    }

    /// The root of the tree with no leaves: SHA-256 of the empty string.
    public static func emptyRoot(using hasher: SHA256Hasher) throws -> Digest {
        try hasher.digest(of: [])
    }

    /// The largest power of two strictly less than `n` (n ≥ 2): RFC 9162's split point k.
    static func splitPoint(_ n: UInt64) -> UInt64 {
        precondition(n >= 2)
        return 1 << (63 - UInt64((n - 1).leadingZeroBitCount))
    }

    /// Folds the perfect subtrees of a tree size's binary decomposition, indexed by level (highest
    /// level leftmost), into the root: H(P_high, H(…, H(P_mid, P_low))).
    static func foldRoot(_ perfectSubtrees: [Digest?], using hasher: SHA256Hasher) throws -> Digest? {
        var accumulated: Digest?
        for subtree in perfectSubtrees {
            guard let subtree else { continue }
            accumulated = try accumulated.map { try nodeHash(subtree, $0, using: hasher) } ?? subtree
        }
        return accumulated
    }
}
