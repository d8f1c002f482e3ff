import Foundation
import Testing

@testable import LedgerStore

/// RFC 9162 section 2.1 written out as literally as possible, over the leaf byte strings themselves
/// and with no storage: the independent answer the stored tree is checked against. Only the raw
/// SHA-256 comes from the code under test; the 0x00 / 0x01 prefixes, the split point and the
/// recursions are done here.
struct NaiveMerkle {
    private let sha256 = SHA256Hasher()

    func hash(_ bytes: [UInt8]) throws -> [UInt8] {
        try sha256.digest(of: bytes).bytes
    }

    /// The largest power of two smaller than n (n > 1), counted up the slow way.
    func split(_ n: Int) -> Int {
        precondition(n > 1)
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// MTH(D[n]).
    func mth(_ d: ArraySlice<[UInt8]>) throws -> [UInt8] {
        switch d.count {
        case 0: return try hash([])
        case 1: return try hash([0x00] + d[d.startIndex])
        default:
            let k = split(d.count)
            return try hash([0x01] + mth(d.prefix(k)) + mth(d.dropFirst(k)))
        }
    }

    /// PATH(m, D[n]) for 0 ≤ m < n.
    func path(_ m: Int, _ d: ArraySlice<[UInt8]>) throws -> [[UInt8]] {
        let n = d.count
        precondition(m < n)
        if n == 1 { return [] }
        let k = split(n)
        if m < k { return try path(m, d.prefix(k)) + [mth(d.dropFirst(k))] }
        return try path(m - k, d.dropFirst(k)) + [mth(d.prefix(k))]
    }

    /// PROOF(m, D[n]) for 0 < m ≤ n.
    func proof(_ m: Int, _ d: ArraySlice<[UInt8]>) throws -> [[UInt8]] {
        try subproof(m, d, true)
    }

    /// SUBPROOF(m, D[n], b).
    func subproof(_ m: Int, _ d: ArraySlice<[UInt8]>, _ b: Bool) throws -> [[UInt8]] {
        let n = d.count
        if m == n { return b ? [] : [try mth(d)] }
        let k = split(n)
        if m <= k { return try subproof(m, d.prefix(k), b) + [mth(d.dropFirst(k))] }
        return try subproof(m - k, d.dropFirst(k), false) + [mth(d.prefix(k))]
    }
}

/// The Certificate Transparency reference data (RFC 6962 test data as published with the
/// transparency-dev/merkle and trillian test suites): eight leaf inputs, every complete subtree
/// hash by level, and the root for each tree size 0…8.
enum CTReference {
    static let leaves: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map(hex)

    static let roots: [String] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    /// nodes[level][index]: the hash of leaves [index·2^level, (index+1)·2^level).
    static let nodes: [[String]] = [
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ],
        [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ],
        [
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
        ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
    ]

    /// Published inclusion proofs: (leaf index, tree size, path).
    static let inclusionProofs: [(UInt64, UInt64, [String])] = [
        (
            0, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        ),
        (
            5, 8,
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        ),
        (0, 1, []),
    ]

    /// Published consistency proofs: (first size, second size, path).
    static let consistencyProofs: [(UInt64, UInt64, [String])] = [
        (1, 1, []),
        (
            2, 8,
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        ),
        (
            6, 8,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        ),
        (
            2, 5,
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        ),
    ]
}

/// `digest` with one byte changed.
func tampered(_ digest: Digest, at byte: Int = 0) -> Digest {
    var bytes = digest.bytes
    bytes[byte % bytes.count] ^= 0x01
    return Digest(bytes: bytes)!
}

@Suite("Merkle tree known answers (RFC 9162 / RFC 6962)")
struct MerkleKnownAnswerTests {
    @Test("the empty tree's root is SHA-256 of nothing")
    func emptyTreeRoot() throws {
        let empty = CTReference.roots[0]
        #expect(try MerkleHashing.emptyRoot(using: SHA256Hasher()).hex == empty)
        #expect(try NaiveMerkle().mth([]) == hex(empty))
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            #expect(try append([], to: log) == TreeHead(size: 0, root: digest(empty)))
            try log.environment.read { txn throws in
                #expect(try log.treeHead(in: txn) == TreeHead(size: 0, root: digest(empty)))
                #expect(try log.treeHead(size: 0, in: txn).root.hex == empty)
            }
        }
    }

    @Test("the naive reference itself reproduces the published CT roots, nodes and proofs")
    func naiveReferenceAgreesWithPublishedData() throws {
        let naive = NaiveMerkle()
        let leaves = CTReference.leaves[...]
        for size in 0...8 {
            #expect(Hex.encode(try naive.mth(leaves.prefix(size))) == CTReference.roots[size], "size \(size)")
        }
        for (level, hashes) in CTReference.nodes.enumerated() {
            for (index, expected) in hashes.enumerated() {
                let range = leaves.dropFirst(index << level).prefix(1 << level)
                #expect(Hex.encode(try naive.mth(range)) == expected, "node \(level)/\(index)")
            }
        }
        for (m, n, expected) in CTReference.inclusionProofs {
            #expect(try naive.path(Int(m), leaves.prefix(Int(n))).map { Hex.encode($0) } == expected)
        }
        for (m, n, expected) in CTReference.consistencyProofs {
            #expect(try naive.proof(Int(m), leaves.prefix(Int(n))).map { Hex.encode($0) } == expected)
        }
    }

    @Test("the stored log reproduces the CT reference roots, nodes and proofs")
    func logMatchesCTReference() throws {
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            for (index, leaf) in CTReference.leaves.enumerated() {
                let head = try append([leaf], to: log)
                #expect(head == TreeHead(size: UInt64(index + 1), root: digest(CTReference.roots[index + 1])))
            }
            try log.environment.read { txn throws in
                for size in 0...8 {
                    #expect(try log.treeHead(size: UInt64(size), in: txn).root.hex == CTReference.roots[size])
                }
                // Every complete subtree is stored under (level, index) with the published hash.
                for (level, hashes) in CTReference.nodes.enumerated() {
                    for (index, expected) in hashes.enumerated() {
                        let key = [UInt8(level)] + BigEndian.bytes(UInt64(index))
                        #expect(try txn.get(log.databases[1], key: key) == hex(expected), "node \(level)/\(index)")
                    }
                }
                #expect(try txn.statistics(log.databases[1]).entries == 15)
                for (m, n, expected) in CTReference.inclusionProofs {
                    let proof = try log.inclusionProof(sequence: m, treeSize: n, in: txn)
                    #expect(proof.path.map(\.hex) == expected, "inclusion \(m) in \(n)")
                    #expect(proof.leafHash.hex == CTReference.nodes[0][Int(m)])
                    #expect(proof.root.hex == CTReference.roots[Int(n)])
                    #expect(
                        try MerkleProofVerifier.verifyInclusion(
                            leafIndex: m, treeSize: n, leafHash: proof.leafHash, proof: expected.map(digest),
                            root: digest(CTReference.roots[Int(n)])))
                }
                for (m, n, expected) in CTReference.consistencyProofs {
                    let proof = try log.consistencyProof(from: m, to: n, in: txn)
                    #expect(proof.path.map(\.hex) == expected, "consistency \(m) to \(n)")
                    #expect(proof.first.root.hex == CTReference.roots[Int(m)])
                    #expect(proof.second.root.hex == CTReference.roots[Int(n)])
                    #expect(
                        try MerkleProofVerifier.verifyConsistency(
                            firstSize: m, secondSize: n, firstRoot: digest(CTReference.roots[Int(m)]),
                            secondRoot: digest(CTReference.roots[Int(n)]), proof: expected.map(digest)))
                }
            }
        }
    }

    @Test("the split point is the largest power of two below n")
    func splitPoint() {
        let naive = NaiveMerkle()
        for n in 2...1100 {
            #expect(MerkleHashing.splitPoint(UInt64(n)) == UInt64(naive.split(n)), "n = \(n)")
        }
        #expect(MerkleHashing.splitPoint(1 << 40) == 1 << 39)
        #expect(MerkleHashing.splitPoint((1 << 40) + 1) == 1 << 40)
        #expect(MerkleHashing.splitPoint(UInt64.max) == 1 << 63)
    }

    @Test("every size 1…70: roots, inclusion and consistency proofs equal RFC 9162's definitions")
    func everySizeUpToSeventy() throws {
        let naive = NaiveMerkle()
        // Distinct leaves of varied lengths, starting with the CT reference inputs.
        var leaves = CTReference.leaves
        for i in leaves.count..<70 { leaves.append(bytes("leaf \(i)") + [UInt8](repeating: UInt8(i), count: i % 7)) }
        // The naive root of every prefix, computed once: a prefix's root never changes.
        let roots = try (0...leaves.count).map { try naive.mth(leaves.prefix($0)) }

        try withTemporaryDirectory { path in
            let log = try openLog(path)
            for n in 1...leaves.count {
                let appended = try append([leaves[n - 1]], to: log)
                #expect(appended == TreeHead(size: UInt64(n), root: Digest(bytes: roots[n])!))
                let tree = leaves.prefix(n)
                try log.environment.read { txn throws in
                    #expect(try log.size(in: txn) == UInt64(n))
                    #expect(try log.treeHead(in: txn).root.bytes == roots[n])
                    for size in 0...n {
                        #expect(
                            try log.treeHead(size: UInt64(size), in: txn).root.bytes == roots[size],
                            "root \(size) at \(n)")
                    }
                    let root = Digest(bytes: roots[n])!
                    for m in 0..<n {
                        let proof = try log.inclusionProof(sequence: UInt64(m), treeSize: UInt64(n), in: txn)
                        let expected = try naive.path(m, tree)
                        #expect(proof.path.map(\.bytes) == expected, "PATH(\(m), D[\(n)])")
                        #expect(proof.leafHash.bytes == (try naive.mth(tree.dropFirst(m).prefix(1))))
                        #expect(proof.root == root)
                        #expect(proof.sequence == UInt64(m) && proof.treeSize == UInt64(n))
                        try checkInclusion(
                            leaf: UInt64(m), size: UInt64(n), leafHash: proof.leafHash, path: proof.path, root: root)
                    }
                    // The defaults are the whole log.
                    #expect(
                        try log.inclusionProof(sequence: UInt64(n - 1), in: txn)
                            == log.inclusionProof(sequence: UInt64(n - 1), treeSize: UInt64(n), in: txn))
                    for m in 1...n {
                        let proof = try log.consistencyProof(from: UInt64(m), to: UInt64(n), in: txn)
                        let expected = try naive.proof(m, tree)
                        #expect(proof.path.map(\.bytes) == expected, "PROOF(\(m), D[\(n)])")
                        #expect(proof.first == TreeHead(size: UInt64(m), root: Digest(bytes: roots[m])!))
                        #expect(proof.second == TreeHead(size: UInt64(n), root: root))
                        try checkConsistency(
                            first: UInt64(m), second: UInt64(n), firstRoot: Digest(bytes: roots[m])!, secondRoot: root,
                            path: proof.path, otherRoot: Digest(bytes: roots[m - 1])!)
                    }
                    #expect(
                        try log.consistencyProof(from: 1, in: txn)
                            == log.consistencyProof(from: 1, to: UInt64(n), in: txn))
                }
            }
        }
    }

    /// The verifier accepts the proof and rejects it under a wrong leaf hash, a wrong index, a wrong
    /// size, any changed path element, a path one element short or long, and a wrong root.
    private func checkInclusion(leaf m: UInt64, size n: UInt64, leafHash: Digest, path: [Digest], root: Digest) throws {
        let context = "inclusion of \(m) in \(n)"
        #expect(
            try MerkleProofVerifier.verifyInclusion(
                leafIndex: m, treeSize: n, leafHash: leafHash, proof: path, root: root), "\(context)")
        #expect(
            try !MerkleProofVerifier.verifyInclusion(
                leafIndex: m, treeSize: n, leafHash: tampered(leafHash), proof: path, root: root),
            "\(context): wrong leaf hash")
        #expect(
            try !MerkleProofVerifier.verifyInclusion(
                leafIndex: m, treeSize: n, leafHash: leafHash, proof: path, root: tampered(root)),
            "\(context): wrong root")
        #expect(
            try !MerkleProofVerifier.verifyInclusion(
                leafIndex: n, treeSize: n, leafHash: leafHash, proof: path, root: root),
            "\(context): index past the tree")
        if n > 1 {
            for wrong in Set([(m + 1) % n, (m + n - 1) % n, m ^ 1]) where wrong != m && wrong < n {
                #expect(
                    try !MerkleProofVerifier.verifyInclusion(
                        leafIndex: wrong, treeSize: n, leafHash: leafHash, proof: path, root: root),
                    "\(context): wrong index \(wrong)")
            }
        }
        for i in path.indices {
            var changed = path
            changed[i] = tampered(changed[i], at: i)
            #expect(
                try !MerkleProofVerifier.verifyInclusion(
                    leafIndex: m, treeSize: n, leafHash: leafHash, proof: changed, root: root),
                "\(context): element \(i) changed")
        }
        if !path.isEmpty {
            #expect(
                try !MerkleProofVerifier.verifyInclusion(
                    leafIndex: m, treeSize: n, leafHash: leafHash, proof: Array(path.dropLast()), root: root),
                "\(context): short")
        }
        #expect(
            try !MerkleProofVerifier.verifyInclusion(
                leafIndex: m, treeSize: n, leafHash: leafHash, proof: path + [root], root: root), "\(context): long")
    }

    /// The verifier accepts the proof and rejects it with any element changed, an element more or
    /// less, or a wrong first or second root.
    private func checkConsistency(
        first m: UInt64, second n: UInt64, firstRoot: Digest, secondRoot: Digest, path: [Digest], otherRoot: Digest
    ) throws {
        let context = "consistency \(m) to \(n)"
        #expect(
            try MerkleProofVerifier.verifyConsistency(
                firstSize: m, secondSize: n, firstRoot: firstRoot, secondRoot: secondRoot, proof: path), "\(context)")
        #expect(m == n ? path.isEmpty : !path.isEmpty, "\(context): length")
        for i in path.indices {
            var changed = path
            changed[i] = tampered(changed[i], at: i)
            #expect(
                try !MerkleProofVerifier.verifyConsistency(
                    firstSize: m, secondSize: n, firstRoot: firstRoot, secondRoot: secondRoot, proof: changed),
                "\(context): element \(i) changed")
        }
        if !path.isEmpty {
            #expect(
                try !MerkleProofVerifier.verifyConsistency(
                    firstSize: m, secondSize: n, firstRoot: firstRoot, secondRoot: secondRoot,
                    proof: Array(path.dropLast())), "\(context): short")
        }
        #expect(
            try !MerkleProofVerifier.verifyConsistency(
                firstSize: m, secondSize: n, firstRoot: firstRoot, secondRoot: secondRoot, proof: path + [secondRoot]),
            "\(context): long")
        #expect(
            try !MerkleProofVerifier.verifyConsistency(
                firstSize: m, secondSize: n, firstRoot: otherRoot, secondRoot: secondRoot, proof: path),
            "\(context): wrong first root")
        #expect(
            try !MerkleProofVerifier.verifyConsistency(
                firstSize: m, secondSize: n, firstRoot: firstRoot, secondRoot: tampered(secondRoot), proof: path),
            "\(context): wrong second root")
    }
}
