import Foundation
import Testing

@testable import LedgerStore

@Suite("Proof requests outside the log throw LogError")
struct ProofEdgeCaseTests {
    /// A log of 10 records in a fresh directory.
    private func withTenRecords(_ body: (AppendOnlyLog, Transaction) throws -> Void) throws {
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            try append((0..<10).map { bytes("r\($0)") }, to: log)
            try log.environment.read { try body(log, $0) }
        }
    }

    @Test("a sequence number at or past the tree size throws sequenceOutOfRange")
    func sequencePastTreeSize() throws {
        try withTenRecords { log, txn throws in
            #expect(throws: LogError.sequenceOutOfRange(sequence: 10, treeSize: 10)) {
                try log.inclusionProof(sequence: 10, in: txn)
            }
            #expect(throws: LogError.sequenceOutOfRange(sequence: 11, treeSize: 10)) {
                try log.inclusionProof(sequence: 11, treeSize: 10, in: txn)
            }
            #expect(throws: LogError.sequenceOutOfRange(sequence: 4, treeSize: 4)) {
                try log.inclusionProof(sequence: 4, treeSize: 4, in: txn)
            }
            #expect(throws: LogError.sequenceOutOfRange(sequence: 0, treeSize: 0)) {
                try log.inclusionProof(sequence: 0, treeSize: 0, in: txn)
            }
            #expect(throws: LogError.self) { try log.inclusionProof(sequence: .max, in: txn) }
            // The edges that are inside still work.
            #expect(try log.inclusionProof(sequence: 3, treeSize: 4, in: txn).path.count == 2)
            #expect(try log.inclusionProof(sequence: 9, in: txn).treeSize == 10)
        }
    }

    @Test("a tree size past the log throws treeSizeOutOfRange, for heads and both proofs")
    func treeSizePastLog() throws {
        try withTenRecords { log, txn throws in
            #expect(throws: LogError.treeSizeOutOfRange(requested: 11, treeSize: 10)) {
                try log.treeHead(size: 11, in: txn)
            }
            #expect(throws: LogError.treeSizeOutOfRange(requested: 11, treeSize: 10)) {
                try log.inclusionProof(sequence: 0, treeSize: 11, in: txn)
            }
            #expect(throws: LogError.treeSizeOutOfRange(requested: .max, treeSize: 10)) {
                try log.inclusionProof(sequence: 0, treeSize: .max, in: txn)
            }
            #expect(throws: LogError.treeSizeOutOfRange(requested: 11, treeSize: 10)) {
                try log.consistencyProof(from: 1, to: 11, in: txn)
            }
            #expect(throws: LogError.self) { try log.consistencyProof(from: 11, in: txn) }
            #expect(try log.treeHead(size: 10, in: txn) == log.treeHead(in: txn))
        }
    }

    @Test("a consistency proof from 0, or from a size larger than the second, throws")
    func consistencyFromZeroOrBackwards() throws {
        try withTenRecords { log, txn throws in
            #expect(throws: LogError.treeSizeOutOfRange(requested: 0, treeSize: 10)) {
                try log.consistencyProof(from: 0, in: txn)
            }
            #expect(throws: LogError.treeSizeOutOfRange(requested: 0, treeSize: 5)) {
                try log.consistencyProof(from: 0, to: 5, in: txn)
            }
            #expect(throws: LogError.treeSizeOutOfRange(requested: 5, treeSize: 4)) {
                try log.consistencyProof(from: 5, to: 4, in: txn)
            }
            #expect(throws: LogError.self) { try log.consistencyProof(from: 0, to: 0, in: txn) }
            // Equal sizes are a valid, empty proof.
            let same = try log.consistencyProof(from: 7, to: 7, in: txn)
            #expect(same.path.isEmpty)
            #expect(same.first == same.second)
        }
    }

    @Test("an empty log has an empty-tree head and proves nothing")
    func emptyLog() throws {
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            try log.environment.read { txn throws in
                #expect(try log.size(in: txn) == 0)
                #expect(try log.treeHead(in: txn).size == 0)
                #expect(throws: LogError.sequenceOutOfRange(sequence: 0, treeSize: 0)) {
                    try log.inclusionProof(sequence: 0, in: txn)
                }
                #expect(throws: LogError.treeSizeOutOfRange(requested: 0, treeSize: 0)) {
                    try log.consistencyProof(from: 0, in: txn)
                }
                #expect(throws: LogError.treeSizeOutOfRange(requested: 1, treeSize: 0)) {
                    try log.treeHead(size: 1, in: txn)
                }
                #expect(try log.record(at: 0, in: txn) == nil)
            }
        }
    }

    @Test("a stored node that has gone missing makes a proof throw missingNode")
    func missingNodeThrows() throws {
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            try append((0..<8).map { bytes("r\($0)") }, to: log)
            try log.environment.write { txn throws in
                #expect(try txn.delete(log.databases[1], key: [2] + BigEndian.bytes(UInt64(1))))
            }
            try log.environment.read { txn throws in
                #expect(throws: LogError.missingNode(level: 2, index: 1)) {
                    try log.inclusionProof(sequence: 0, treeSize: 8, in: txn)
                }
                #expect(throws: LogError.missingNode(level: 2, index: 1)) {
                    try log.consistencyProof(from: 4, to: 8, in: txn)
                }
                // Sizes that do not need the node still work.
                #expect(try log.treeHead(size: 4, in: txn).size == 4)
            }
            #expect(LogError.missingNode(level: 2, index: 1).description.contains("level 2, index 1"))
        }
    }

    @Test("the verifiers return false, not a crash, for impossible sizes")
    func verifierImpossibleSizes() throws {
        let some = try SHA256Hasher.digest(of: bytes("x"))
        #expect(
            try !MerkleProofVerifier.verifyInclusion(leafIndex: 0, treeSize: 0, leafHash: some, proof: [], root: some))
        #expect(
            try !MerkleProofVerifier.verifyInclusion(
                leafIndex: 5, treeSize: 5, leafHash: some, proof: [some], root: some))
        #expect(
            try MerkleProofVerifier.verifyInclusion(leafIndex: 0, treeSize: 1, leafHash: some, proof: [], root: some))
        #expect(
            try !MerkleProofVerifier.verifyInclusion(
                leafIndex: 0, treeSize: 1, leafHash: some, proof: [some], root: some))
        #expect(
            try !MerkleProofVerifier.verifyConsistency(
                firstSize: 0, secondSize: 3, firstRoot: some, secondRoot: some, proof: []))
        #expect(
            try !MerkleProofVerifier.verifyConsistency(
                firstSize: 0, secondSize: 0, firstRoot: some, secondRoot: some, proof: []))
        #expect(
            try !MerkleProofVerifier.verifyConsistency(
                firstSize: 4, secondSize: 3, firstRoot: some, secondRoot: some, proof: [some]))
        #expect(
            try !MerkleProofVerifier.verifyConsistency(
                firstSize: 2, secondSize: 3, firstRoot: some, secondRoot: some, proof: []))
        #expect(
            try MerkleProofVerifier.verifyConsistency(
                firstSize: 3, secondSize: 3, firstRoot: some, secondRoot: some, proof: []))
        #expect(
            try !MerkleProofVerifier.verifyConsistency(
                firstSize: 3, secondSize: 3, firstRoot: some, secondRoot: tampered(some), proof: []))
        #expect(
            try !MerkleProofVerifier.verifyConsistency(
                firstSize: 3, secondSize: 3, firstRoot: some, secondRoot: some, proof: [some]))
    }
}
