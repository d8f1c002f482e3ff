import CLMDB
import Foundation
import Testing

@testable import LedgerStore

private struct Deliberate: Error {}

/// Opens `path` with one plain database named "t".
private func openTable(_ path: String) throws -> (Environment, Database) {
    let environment = try Environment(path: path)
    let table = try environment.openDatabases([("t", [])])[0]
    return (environment, table)
}

@Suite("Transactions commit, abort and discard")
struct TransactionTests {
    @Test("a write closure that returns commits; a later read sees it")
    func returningWriteCommits() throws {
        try withTemporaryDirectory { path in
            let (environment, table) = try openTable(path)
            let returned = try environment.write { txn -> String in
                #expect(txn.isWritable)
                try txn.put(table, key: bytes("k"), value: bytes("v1"))
                return "done"
            }
            #expect(returned == "done")
            let seen = try environment.read { txn throws in
                #expect(!txn.isWritable)
                return try txn.get(table, key: bytes("k"))
            }
            #expect(seen == bytes("v1"))
        }
    }

    @Test("a write closure that throws aborts: none of its puts or deletes are visible")
    func throwingWriteAborts() throws {
        try withTemporaryDirectory { path in
            let (environment, table) = try openTable(path)
            try environment.write { try $0.put(table, key: bytes("kept"), value: bytes("old")) }
            #expect(throws: Deliberate.self) {
                try environment.write { txn throws in
                    try txn.put(table, key: bytes("new"), value: bytes("x"))
                    try txn.put(table, key: bytes("kept"), value: bytes("changed"))
                    #expect(try txn.get(table, key: bytes("new")) == bytes("x"))
                    throw Deliberate()
                }
            }
            #expect(throws: Deliberate.self) {
                try environment.write { txn throws in
                    #expect(try txn.delete(table, key: bytes("kept")))
                    throw Deliberate()
                }
            }
            try environment.read { txn throws in
                #expect(try txn.get(table, key: bytes("new")) == nil)
                #expect(try txn.get(table, key: bytes("kept")) == bytes("old"))
                #expect(try txn.statistics(table).entries == 1)
            }
        }
    }

    @Test("writeAndDiscard shows its writes to its own closure and persists nothing")
    func writeAndDiscardNeverPersists() throws {
        try withTemporaryDirectory { path in
            do {
                let (environment, table) = try openTable(path)
                let inside = try environment.writeAndDiscard { txn -> [UInt8]? in
                    #expect(txn.isWritable)
                    try txn.put(table, key: bytes("dry"), value: bytes("run"))
                    return try txn.get(table, key: bytes("dry"))
                }
                #expect(inside == bytes("run"))
                #expect(try environment.read { try $0.get(table, key: bytes("dry")) } == nil)
                // A dry run of the log appends nothing either.
                let log = try AppendOnlyLog(environment: environment)
                let dryHead = try log.environment.writeAndDiscard { txn -> TreeHead in
                    let appender = try log.appender(in: txn)
                    try appender.append(bytes("never stored"))
                    #expect(try log.size(in: txn) == 1)
                    return try appender.treeHead()
                }
                #expect(dryHead.size == 1)
                #expect(try environment.read { try log.size(in: $0) } == 0)
            }
            // Nor is anything on disk after a reopen.
            let (environment, table) = try openTable(path)
            #expect(try environment.read { try $0.get(table, key: bytes("dry")) } == nil)
        }
    }

    @Test("a put with .noOverwrite on an existing key throws an LMDBError with isKeyExists")
    func noOverwriteOnExistingKeyThrows() throws {
        try withTemporaryDirectory { path in
            let (environment, table) = try openTable(path)
            try environment.write { try $0.put(table, key: bytes("k"), value: bytes("first"), flags: .noOverwrite) }
            let error = #expect(throws: LMDBError.self) {
                try environment.write {
                    try $0.put(table, key: bytes("k"), value: bytes("second"), flags: .noOverwrite)
                }
            }
            #expect(error?.isKeyExists == true)
            #expect(error?.code == MDB_KEYEXIST)
            #expect(error?.isCorruption == false)
            #expect(error?.description.contains("mdb_put") == true)
            #expect(try environment.read { try $0.get(table, key: bytes("k")) } == bytes("first"))
            // Without the flag the value is replaced.
            try environment.write { try $0.put(table, key: bytes("k"), value: bytes("third")) }
            #expect(try environment.read { try $0.get(table, key: bytes("k")) } == bytes("third"))
        }
    }

    @Test("committed data is read back after the environment is closed and reopened")
    func reopenSeesCommittedData() throws {
        try withTemporaryDirectory { path in
            func writeAndClose() throws -> TreeHead {
                let (environment, table) = try openTable(path)
                try environment.write { txn throws in
                    for i in 0..<100 as Range<UInt64> {
                        try txn.put(table, key: BigEndian.bytes(i), value: bytes("value \(i)"))
                    }
                }
                #expect(throws: Deliberate.self) {
                    try environment.write { txn throws in
                        try txn.put(table, key: BigEndian.bytes(UInt64(1000)), value: bytes("aborted"))
                        throw Deliberate()
                    }
                }
                let log = try AppendOnlyLog(environment: environment)
                return try append((0..<10).map { bytes("event \($0)") }, to: log)
            }
            let head = try writeAndClose()
            // Everything from the first process is closed now: this is a cold open from disk.
            let (environment, table) = try openTable(path)
            #expect(environment.durability.isFullSync)
            try environment.read { txn throws in
                #expect(try txn.statistics(table).entries == 100)
                #expect(try txn.get(table, key: BigEndian.bytes(UInt64(42))) == bytes("value 42"))
                #expect(try txn.get(table, key: BigEndian.bytes(UInt64(1000))) == nil)
            }
            let log = try AppendOnlyLog(environment: environment)
            try environment.read { txn throws in
                #expect(try log.size(in: txn) == 10)
                #expect(try log.record(at: 7, in: txn) == bytes("event 7"))
                #expect(try log.record(at: 10, in: txn) == nil)
                #expect(try log.treeHead(in: txn) == head)
            }
        }
    }

    @Test("readCount counts every get and every cursor move, and starts at zero in each transaction")
    func readCountCountsGetsAndCursorMoves() throws {
        try withTemporaryDirectory { path in
            let (environment, table) = try openTable(path)
            try environment.write { txn throws in
                for i in [5, 1, 9, 3, 7] as [UInt64] {
                    try txn.put(table, key: BigEndian.bytes(i), value: [UInt8(i)])
                }
                // Puts, deletes and statistics are not lookups.
                #expect(txn.readCount == 0)
            }
            try environment.read { txn throws in
                #expect(txn.readCount == 0)
                _ = try txn.get(table, key: BigEndian.bytes(UInt64(5)))
                _ = try txn.get(table, key: BigEndian.bytes(UInt64(2)))  // a miss is a read too
                _ = try txn.withValue(table, key: BigEndian.bytes(UInt64(9))) { $0?.count }
                #expect(txn.readCount == 3)
                _ = try txn.statistics(table)
                #expect(txn.readCount == 3)
                let keys = try txn.withCursor(table) { cursor -> [UInt64] in
                    var keys: [UInt64] = []
                    var entry = try cursor.first()
                    while let current = entry {
                        keys.append(BigEndian.uint64(current.key)!)
                        entry = try cursor.next()
                    }
                    return keys
                }
                // Big-endian keys come back in numeric order.
                #expect(keys == [1, 3, 5, 7, 9])
                // first + 4 × next + the next that ran off the end.
                #expect(txn.readCount == 3 + 6)
                let moves = try txn.withCursor(table) { cursor -> [UInt64?] in
                    [
                        try cursor.last(), try cursor.previous(), try cursor.seek(atLeast: BigEndian.bytes(UInt64(4))),
                        try cursor.seek(atLeast: BigEndian.bytes(UInt64(10))),
                    ].map { $0.flatMap { BigEndian.uint64($0.key) } }
                }
                #expect(moves == [9, 7, 5, nil])
                #expect(txn.readCount == 3 + 6 + 4)
            }
            try environment.read { txn throws in
                #expect(txn.readCount == 0)
                _ = try txn.get(table, key: BigEndian.bytes(UInt64(1)))
                #expect(txn.readCount == 1)
            }
        }
    }

    @Test("delete and empty report what they removed; only committed removals last")
    func deleteAndEmpty() throws {
        try withTemporaryDirectory { path in
            let (environment, table) = try openTable(path)
            try environment.write { txn throws in
                for i in 0..<10 as Range<UInt64> { try txn.put(table, key: BigEndian.bytes(i), value: []) }
            }
            try environment.write { txn throws in
                #expect(try txn.delete(table, key: BigEndian.bytes(UInt64(3))))
                #expect(try !txn.delete(table, key: BigEndian.bytes(UInt64(3))))
            }
            #expect(try environment.read { try $0.statistics(table).entries } == 9)
            try environment.write { try $0.empty(table) }
            #expect(try environment.read { try $0.statistics(table).entries } == 0)
            // The database itself survives being emptied.
            try environment.write { try $0.put(table, key: bytes("again"), value: bytes("x")) }
            #expect(try environment.read { try $0.get(table, key: bytes("again")) } == bytes("x"))
        }
    }

    @Test("a read-only environment cannot create missing databases")
    func readOnlyEnvironmentDoesNotCreate() throws {
        try withTemporaryDirectory { path in
            do { _ = try openTable(path) }
            let environment = try Environment(path: path, options: EnvironmentOptions(readOnly: true))
            #expect(environment.isReadOnly)
            #expect(try environment.openDatabases([("t", [])]).count == 1)
            let error = #expect(throws: LMDBError.self) { try environment.openDatabases([("missing", [])]) }
            #expect(error?.isNotFound == true)
        }
    }

    @Test("after-commit hooks run once a transaction commits, never after an abort or a discard")
    func afterCommitHooks() throws {
        try withTemporaryDirectory { path in
            let environment = try Environment(path: path)
            let table = try environment.openDatabases([("t", [])])[0]
            var ran: [String] = []
            try environment.write { txn in
                try txn.put(table, key: [1], value: [1])
                txn.afterCommit { ran.append("committed") }
            }
            struct Failure: Error {}
            _ = try? environment.write { txn in
                txn.afterCommit { ran.append("aborted") }
                throw Failure()
            }
            try environment.writeAndDiscard { txn in txn.afterCommit { ran.append("discarded") } }
            #expect(ran == ["committed"])
        }
    }

    @Test("a commit goes through its gate once and leaves it open; an abort, a discard and a retry do not pass")
    func commitGatePasses() throws {
        try withTemporaryDirectory { path in
            let environment = try Environment(path: path, options: EnvironmentOptions(mapSize: 1 << 20))
            let table = try environment.openDatabases([("t", [])])[0]
            let gate = CommitGate()
            try environment.write { txn in
                txn.commitThrough(gate)
                try txn.put(table, key: [1], value: [1])
            }
            #expect(gate.passes == 1)
            gate.waitWhileCommitting()
            _ = try? environment.write { txn in
                txn.commitThrough(gate)
                throw Deliberate()
            }
            try environment.writeAndDiscard { txn in txn.commitThrough(gate) }
            #expect(gate.passes == 1)
            // A write that fills the map is run again in a grown one: its one commit passes once.
            var attempts = 0
            try environment.write { txn in
                attempts += 1
                txn.commitThrough(gate)
                for key in 0..<600 {
                    try txn.put(table, key: BigEndian.bytes(UInt32(key)), value: [UInt8](repeating: 7, count: 4000))
                }
            }
            #expect(attempts > 1)
            #expect(gate.passes == 2)
            gate.waitWhileCommitting()
        }
    }

    @Test("a thread waiting at a gate goes on only once the commit has left it")
    func commitGateHolds() throws {
        let gate = CommitGate()
        gate.enter()
        let passed = NSCondition()
        nonisolated(unsafe) var hasPassed = false
        let thread = Thread {
            gate.waitWhileCommitting()
            passed.lock()
            hasPassed = true
            passed.broadcast()
            passed.unlock()
        }
        thread.start()
        passed.lock()
        // Whatever the waiting thread does meanwhile, it must not get through a closed gate.
        _ = passed.wait(until: Date().addingTimeInterval(0.05))
        #expect(!hasPassed)
        passed.unlock()
        gate.leave()
        passed.lock()
        while !hasPassed { passed.wait() }
        passed.unlock()
        #expect(hasPassed)
    }
}
