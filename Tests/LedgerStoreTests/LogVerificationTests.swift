import Foundation
import Testing

@testable import LedgerStore

/// Record `sequence` of the tampering tests: it carries a marker no other record contains.
private func markedRecord(_ sequence: Int) -> [UInt8] {
    bytes(
        "{\"event\":\(sequence),\"marker\":\"<<MARK-\(String(format: "%05d", sequence))>>\",\"pad\":\"\(String(repeating: "p", count: sequence % 13))\"}"
    )
}

private func marker(_ sequence: Int) -> [UInt8] {
    bytes("<<MARK-\(String(format: "%05d", sequence))>>")
}

/// Builds a log of `count` marked records in `path` over a few write transactions, closes it, and
/// returns its head. Nothing stays open afterwards: the environment is released when this returns.
@discardableResult
private func buildClosedLog(_ path: String, count: Int) throws -> TreeHead {
    let log = try openLog(path)
    var head: TreeHead?
    for chunk in stride(from: 0, to: count, by: 16) {
        head = try append((chunk..<min(chunk + 16, count)).map(markedRecord), to: log)
    }
    return head!
}

private func verify(_ path: String) throws -> LogVerification {
    let log = try openLog(path)
    return try log.environment.read { try log.verify(in: $0) }
}

private func nodeKey(level: Int, index: UInt64) -> [UInt8] {
    [UInt8(level)] + BigEndian.bytes(index)
}

/// Opens the log in `path`, runs `body` in a write transaction with the records and Merkle
/// databases, and closes it again.
private func tamper(_ path: String, _ body: (Transaction, _ records: Database, _ merkle: Database) throws -> Void)
    throws
{
    let log = try openLog(path)
    #expect(log.databases.map(\.name) == [AppendOnlyLog.recordsDatabaseName, AppendOnlyLog.merkleDatabaseName])
    try log.environment.write { try body($0, log.databases[0], log.databases[1]) }
}

/// The sequence number the verifier reports, or nil for an intact log.
private func damagedSequence(_ result: LogVerification) -> UInt64? {
    if case .damaged(let sequence, _) = result { return sequence }
    return nil
}

private func problem(_ result: LogVerification) -> String {
    if case .damaged(_, let problem) = result { return problem }
    return ""
}

@Suite("verify recomputes the log and names the first damage")
struct LogVerificationTests {
    @Test(
        "an intact log verifies with its head and 2n − popcount(n) stored nodes",
        arguments: [0, 1, 2, 3, 7, 8, 37, 64, 100])
    func intactLogVerifies(count: Int) throws {
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            let head = try append((0..<count).map(markedRecord), to: log)
            let expectedRoot = try NaiveMerkle().mth((0..<count).map(markedRecord)[...])
            #expect(head.root.bytes == expectedRoot)
            var reported: [UInt64] = []
            let result = try log.environment.read { txn throws in
                try log.verify(in: txn) { reported.append($0) }
            }
            let nodes = 2 * count - UInt64(count).nonzeroBitCount
            #expect(
                result == .intact(head: TreeHead(size: UInt64(count), root: Digest(bytes: expectedRoot)!), nodes: nodes)
            )
            #expect(reported.last == UInt64(count))
            try log.environment.read { txn throws in
                #expect(try txn.statistics(log.databases[1]).entries == nodes)
            }
        }
    }

    @Test("a byte flipped inside a stored record's value in data.mdb is reported at that record")
    func flippedByteInRecordValue() throws {
        try withTemporaryDirectory { path in
            let count = 60
            let victim = 23
            try buildClosedLog(path, count: count)
            #expect(
                try verify(path)
                    == .intact(
                        head: TreeHead(
                            size: UInt64(count),
                            root: Digest(bytes: NaiveMerkle().mth((0..<count).map(markedRecord)[...]))!),
                        nodes: 2 * count - count.nonzeroBitCount))

            // The environment is closed: now the file's bytes can be read and written directly. Copy-on-write may
            // leave stale copies of the record's page behind, so every occurrence of the marker is changed.
            let file = try DataFile.read(path)
            let needle = marker(victim)
            let found = DataFile.offsets(of: needle, in: file)
            try #require(!found.isEmpty, "the marker of record \(victim) is not in data.mdb")
            for offset in found {
                // "<<MARK-00023>>": turn the 'M' into 'm'.
                try DataFile.overwrite(path, at: offset + 2, with: [file[offset + 2] ^ 0x20])
            }
            #expect(DataFile.offsets(of: needle, in: try DataFile.read(path)).isEmpty)

            let result = try verify(path)
            #expect(damagedSequence(result) == UInt64(victim), "\(result)")
            #expect(problem(result).contains("record \(victim) does not match its stored leaf hash"))
        }
    }

    @Test("a record changed through a write transaction is reported at that record")
    func recordRewritten() throws {
        try withTemporaryDirectory { path in
            try buildClosedLog(path, count: 40)
            try tamper(path) { txn, records, _ throws in
                try txn.put(records, key: BigEndian.bytes(UInt64(31)), value: markedRecord(32))
            }
            #expect(damagedSequence(try verify(path)) == 31)
        }
    }

    @Test(
        "a stored Merkle node overwritten with other bytes is reported at the record that completes it",
        arguments: [(0, 5 as UInt64), (0, 39), (1, 0), (1, 7), (2, 3), (3, 2), (5, 0)])
    func merkleNodeOverwritten(level: Int, index: UInt64) throws {
        try withTemporaryDirectory { path in
            let count = 40
            try buildClosedLog(path, count: count)
            try tamper(path) { txn, _, merkle throws in
                let key = nodeKey(level: level, index: index)
                let original = try #require(try txn.get(merkle, key: key), "no node \(level)/\(index)")
                #expect(original.count == 32)
                var other = original
                other[17] ^= 0xff
                try txn.put(merkle, key: key, value: other)
            }
            // Node (level, index) covers leaves [index·2^level, (index+1)·2^level): the last one completes it.
            let completedBy = (index + 1) << UInt64(level) - 1
            let result = try verify(path)
            #expect(damagedSequence(result) == completedBy, "\(result)")
            #expect(
                problem(result).contains(
                    level == 0 ? "does not match its stored leaf hash" : "does not match the records"))
        }
    }

    @Test("a stored Merkle node replaced by a value of the wrong length, or deleted, is reported")
    func merkleNodeWrongLengthOrMissing() throws {
        try withTemporaryDirectory { path in
            try buildClosedLog(path, count: 40)
            try tamper(path) { txn, _, merkle throws in
                try txn.put(merkle, key: nodeKey(level: 2, index: 5), value: [UInt8](repeating: 0xab, count: 31))
            }
            #expect(damagedSequence(try verify(path)) == 23)
        }
        try withTemporaryDirectory { path in
            try buildClosedLog(path, count: 40)
            try tamper(path) { txn, _, merkle throws in
                #expect(try txn.delete(merkle, key: nodeKey(level: 3, index: 1)))
            }
            let result = try verify(path)
            #expect(damagedSequence(result) == 15)
            #expect(problem(result).contains("missing"))
        }
    }

    @Test("a record deleted from the middle is reported as missing at its sequence number", arguments: [0, 1, 17, 38])
    func recordDeletedFromMiddle(victim: Int) throws {
        try withTemporaryDirectory { path in
            try buildClosedLog(path, count: 40)
            try tamper(path) { txn, records, _ throws in
                #expect(try txn.delete(records, key: BigEndian.bytes(UInt64(victim))))
            }
            let result = try verify(path)
            #expect(damagedSequence(result) == UInt64(victim), "\(result)")
            #expect(problem(result).contains("record \(victim) is missing"))
        }
    }

    @Test("the last record deleted is reported at its sequence number", arguments: [1, 2, 33, 40, 64])
    func lastRecordDeleted(count: Int) throws {
        try withTemporaryDirectory { path in
            try buildClosedLog(path, count: count)
            try tamper(path) { txn, records, _ throws in
                #expect(try txn.delete(records, key: BigEndian.bytes(UInt64(count - 1))))
            }
            let result = try verify(path)
            #expect(damagedSequence(result) == UInt64(count - 1), "\(result)")
        }
    }

    @Test("a stray node beyond the tree is reported at the log's end")
    func strayNode() throws {
        try withTemporaryDirectory { path in
            try buildClosedLog(path, count: 40)
            try tamper(path) { txn, _, merkle throws in
                try txn.put(merkle, key: nodeKey(level: 6, index: 9), value: [UInt8](repeating: 7, count: 32))
            }
            let result = try verify(path)
            #expect(damagedSequence(result) == 40, "\(result)")
        }
    }
}

/// Counts the records it is shown, and flags one sequence number.
private final class CountingInspector: RecordInspector, @unchecked Sendable {
    // @unchecked: used by one verifying thread, read after it has finished.
    var seen: [UInt64] = []
    let flag: UInt64?

    init(flag: UInt64? = nil) { self.flag = flag }

    func inspect(sequence: UInt64, record: UnsafeRawBufferPointer) -> String? {
        seen.append(sequence)
        return sequence == flag ? "flagged" : nil
    }
}

@Suite("verify on two threads")
struct ParallelLogVerificationTests {
    @Test("two workers see every record once, in order within each, and agree with one worker")
    func twoWorkersAgree() throws {
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            let count = 20_011
            for chunk in stride(from: 0, to: count, by: 2_000) {
                try append((chunk..<min(chunk + 2_000, count)).map(markedRecord), to: log)
            }
            let inspectors = [CountingInspector(), CountingInspector()]
            let parallel = try log.environment.read { try log.verify(in: $0, workers: 2, inspectors: inspectors) }
            let serial = try log.environment.read { try log.verify(in: $0) }
            #expect(parallel == serial)
            guard case .intact = parallel else {
                Issue.record("an intact log did not verify: \(parallel)")
                return
            }
            #expect(inspectors.allSatisfy { !$0.seen.isEmpty && $0.seen == $0.seen.sorted() })
            #expect((inspectors[0].seen + inspectors[1].seen).sorted() == (0..<UInt64(count)).map { $0 })
        }
    }

    @Test("damage in the second worker's half, and an inspector's problem, are reported where they are")
    func damageInEitherHalf() throws {
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            let count = 16_384
            try append((0..<count).map(markedRecord), to: log)
            let flagged = [CountingInspector(flag: 15_000), CountingInspector(flag: 15_000)]
            let inspected = try log.environment.read { try log.verify(in: $0, workers: 2, inspectors: flagged) }
            #expect(inspected == .damaged(sequence: 15_000, problem: "flagged"))
            // A stored node of the second half's subtree, changed.
            try log.environment.write { txn in
                try txn.put(
                    log.databases[1], key: nodeKey(level: 3, index: 1_500), value: [UInt8](repeating: 7, count: 32))
            }
            let result = try log.environment.read { try log.verify(in: $0, workers: 2) }
            #expect(damagedSequence(result) == (1_500 + 1) * 8 - 1, "\(result)")
            #expect(problem(result).contains("level 3, index 1500"))
        }
    }

    @Test("on two threads, a changed node at every level, in either slice, is reported at the record that completes it")
    func changedNodeAtEveryLevel() throws {
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            // Not a power of two: the slices split at a multiple of 2^fused, and the levels above
            // the fused ones are read back from the level below.
            let count: UInt64 = 10_007
            try append((0..<Int(count)).map(markedRecord), to: log)
            let fused = LogVerifier.fusedLevels(size: count, slices: 2)
            #expect(fused > 0 && fused < 13)
            for level in 0...13 {
                // The first node of the level, and the last complete one (in the second slice).
                for index in Set([0, (count >> UInt64(level)) - 1]) {
                    let key = nodeKey(level: level, index: index)
                    let original = try log.environment.read { try $0.get(log.databases[1], key: key) }
                    let stored = try #require(original, "no node \(level)/\(index)")
                    try log.environment.write { txn in
                        try txn.put(log.databases[1], key: key, value: stored.map { $0 ^ 0x5a })
                    }
                    let result = try log.environment.read { try log.verify(in: $0, workers: 2) }
                    try log.environment.write { txn in try txn.put(log.databases[1], key: key, value: stored) }
                    #expect(
                        damagedSequence(result) == (index + 1) << UInt64(level) - 1,
                        "level \(level) (fused up to \(fused)), index \(index): \(result)")
                    #expect(
                        problem(result).contains(level == 0 ? "stored leaf hash" : "level \(level), index \(index)"))
                }
            }
            let intact = try log.environment.read { try log.verify(in: $0, workers: 2) }
            let serial = try log.environment.read { try log.verify(in: $0, workers: 1) }
            #expect(intact == serial)
            guard case .intact(let head, _) = intact else {
                Issue.record("the restored log does not verify: \(intact)")
                return
            }
            #expect(head.size == count)
        }
    }
}
