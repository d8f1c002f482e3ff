import Foundation
import Testing

@testable import LedgerStore

/// The heavy one: a log of a million records. Serialized so that it never runs beside itself.
@Suite("Tree heads and proofs cost a logarithmic number of reads", .serialized)
struct ReadCountTests {
    /// Reads allowed per ⌈log₂ n⌉.
    static let readsPerLevel = 4

    @Test("on a log of 1,000,000 records, heads and proofs read at most 4·⌈log₂ n⌉ entries")
    func proofsCostLogarithmicReads() throws {
        try withTemporaryDirectory { path in
            // Start with room for the whole log, so no 100,000-record batch is redone after MAP_FULL.
            let log = try openLog(path, options: EnvironmentOptions(mapSize: 1 << 30))
            let total: UInt64 = 1_000_000
            let batch: UInt64 = 100_000
            var head: TreeHead?
            for start in stride(from: 0 as UInt64, to: total, by: Int(batch)) {
                head = try log.environment.write { txn throws in
                    let appender = try log.appender(in: txn)
                    for sequence in start..<start + batch {
                        try appender.append(BigEndian.bytes(sequence &* 0x9E37_79B9_7F4A_7C15))
                    }
                    return try appender.treeHead()
                }
            }
            let finalHead = try #require(head)
            #expect(finalHead.size == total)

            // A small prefix can be checked against the naive definition too.
            let naiveRoot1000 = try NaiveMerkle().mth(
                (0..<1000 as Range<UInt64>).map { BigEndian.bytes($0 &* 0x9E37_79B9_7F4A_7C15) }[...])

            var rng = SplitMix64(seed: 0x1ed9e5)
            var heads: [UInt64: TreeHead] = [:]
            var worst: [String: Double] = [:]
            func note(_ kind: String, _ reads: Int, _ n: UInt64) {
                worst[kind] = max(worst[kind] ?? 0, Double(reads) / Double(ceilLog2(n)))
            }

            for n in [1000, 65_537, 999_999, 1_000_000] as [UInt64] {
                let bound = Self.readsPerLevel * ceilLog2(n)

                let (treeHead, headReads) = try log.environment.read { txn throws in
                    (try log.treeHead(size: n, in: txn), txn.readCount)
                }
                #expect(headReads > 0)
                #expect(headReads <= bound, "treeHead(\(n)) read \(headReads) entries, more than \(bound)")
                note("treeHead", headReads, n)
                heads[n] = treeHead
                if n == 1000 { #expect(treeHead.root.bytes == naiveRoot1000) }
                if n == total { #expect(treeHead == finalHead) }

                var leaves: Set<UInt64> = [0, 1, n / 2, n / 2 - 1, n - 2, n - 1]
                if n > 1 << 16 { leaves.formUnion([(1 << 16) - 1, 1 << 16]) }
                while leaves.count < 14 { leaves.insert(UInt64.random(in: 0..<n, using: &rng)) }
                for leaf in leaves.sorted() {
                    let (proof, reads) = try log.environment.read { txn throws in
                        (try log.inclusionProof(sequence: leaf, treeSize: n, in: txn), txn.readCount)
                    }
                    #expect(reads <= bound, "inclusionProof(\(leaf), \(n)) read \(reads) entries, more than \(bound)")
                    note("inclusionProof", reads, n)
                    #expect(proof.root == treeHead.root)
                    #expect(
                        try MerkleProofVerifier.verifyInclusion(
                            leafIndex: leaf, treeSize: n, leafHash: proof.leafHash, proof: proof.path,
                            root: treeHead.root))
                    #expect(
                        proof.leafHash
                            == (try MerkleHashing.leafHash(
                                BigEndian.bytes(leaf &* 0x9E37_79B9_7F4A_7C15), using: SHA256Hasher())))
                }

                // Sizes with many set bits (2^k − 1) make the longest decompositions.
                var firsts: Set<UInt64> = [1, 2, 3, n / 2, n - 1, n]
                for k in [9, 16, 19] where (1 << k) - 1 < n { firsts.insert((1 << k) - 1) }
                for earlier in heads.keys where earlier < n { firsts.insert(earlier) }
                while firsts.count < 16 { firsts.insert(UInt64.random(in: 1...n, using: &rng)) }
                for m in firsts.sorted() {
                    let (proof, reads) = try log.environment.read { txn throws in
                        (try log.consistencyProof(from: m, to: n, in: txn), txn.readCount)
                    }
                    #expect(reads <= bound, "consistencyProof(\(m), \(n)) read \(reads) entries, more than \(bound)")
                    note("consistencyProof", reads, n)
                    #expect(proof.second.root == treeHead.root)
                    if let earlier = heads[m] { #expect(proof.first == earlier) }
                    #expect(
                        try MerkleProofVerifier.verifyConsistency(
                            firstSize: m, secondSize: n, firstRoot: proof.first.root, secondRoot: proof.second.root,
                            proof: proof.path))
                }
            }
            // The worst reads per level seen, for whoever reads the log of this run.
            let summary = worst.keys.sorted().map { "\($0) \(String(format: "%.2f", worst[$0]!))" }.joined(
                separator: ", ")
            print("[ReadCountTests] worst reads per ⌈log₂ n⌉: \(summary)")
        }
    }
}
