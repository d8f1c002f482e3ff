import CLMDB
import Foundation
import Testing

@testable import LedgerStore

/// Where things are in an LMDB 0.9 `data.mdb` (lmdb.h / mdb.c, 64-bit build): every page starts with
/// a 16-byte header (page number 8, pad 2, flags 2, lower 2, upper 2) followed by the offsets of its
/// nodes; pages 0 and 1 are the two meta pages, the newer one (larger transaction id) is current.
private enum Layout {
    static let flagsOffset = 10
    static let firstNodePointer = 16
    static let metaMagic = 16
    /// `mm_dbs[MAIN_DBI].md_root`: the root page of the main database, which names the others.
    static let mainRoot = 128
    static let metaTransactionID = 144
    /// In a node: lo 2, hi 2, flags 2, key size 2, then the key and the data.
    static let nodeHeader = 8
    /// In a named database's record (an `MDB_db`): the root page number.
    static let databaseRoot = 40
    static let databaseDepth = 6
    static let branchPage: UInt16 = 0x01
    static let leafPage: UInt16 = 0x02
}

/// Builds a log in `path` and closes it; returns the page size.
private func buildClosedLog(_ path: String, records: Int, recordSize: Int) throws -> Int {
    let log = try openLog(path)
    try append(
        (0..<records).map { i in bytes("record \(i) ") + [UInt8](repeating: UInt8(i & 0x7f), count: recordSize) },
        to: log)
    #expect(try log.environment.read { try log.verify(in: $0) }.isIntact)
    return log.environment.info.pageSize
}

/// The root page number and depth of the named database `name`, found by walking from the
/// current meta page through the main database's root (a single leaf for a handful of names).
private func namedDatabaseRoot(_ file: [UInt8], pageSize: Int, name: String) throws -> (page: Int, depth: Int) {
    let metas = [0, pageSize]
    let current = metas.max {
        DataFile.uint64LE(file, at: $0 + Layout.metaTransactionID)
            < DataFile.uint64LE(file, at: $1 + Layout.metaTransactionID)
    }!
    let mainRoot = Int(DataFile.uint64LE(file, at: current + Layout.mainRoot))
    let page = Array(file[mainRoot * pageSize..<(mainRoot + 1) * pageSize])
    try #require(
        DataFile.uint16LE(page, at: Layout.flagsOffset) & Int(Layout.leafPage) != 0,
        "the main database root is not a leaf")
    let key = bytes(name)
    let keyOffset = try #require(DataFile.offsets(of: key, in: page).first, "\(name) is not in the main database")
    let record = keyOffset + key.count
    #expect(DataFile.uint16LE(page, at: keyOffset - 2) == key.count)
    return (
        Int(DataFile.uint64LE(page, at: record + Layout.databaseRoot)),
        DataFile.uint16LE(page, at: record + Layout.databaseDepth)
    )
}

/// Opens the log in `path` and verifies it: whatever LMDB throws on the way.
private func openAndVerify(_ path: String) throws -> LogVerification {
    let log = try openLog(path)
    return try log.environment.read { try log.verify(in: $0) }
}

extension LogVerification {
    var isIntact: Bool {
        if case .intact = self { return true }
        return false
    }
}

@Suite("Damage to LMDB's own page structure is an LMDBError, not a crash")
struct CorruptionTests {
    @Test("garbled meta pages: opening throws MDB_INVALID")
    func garbledMetaPages() throws {
        try withTemporaryDirectory { path in
            let pageSize = try buildClosedLog(path, records: 20, recordSize: 10)
            for meta in [0, pageSize] {
                try DataFile.overwrite(path, at: meta + Layout.metaMagic, with: [0x00, 0xde, 0xad, 0x00])
            }
            let error = #expect(throws: LMDBError.self) { _ = try Environment(path: path) }
            #expect(error?.code == MDB_INVALID)
            #expect(error?.isCorruption == true)
            #expect(error?.operation.hasPrefix("mdb_env_open") == true)
        }
    }

    @Test("every page after the meta pages zeroed: opening the log throws MDB_CORRUPTED")
    func zeroedPagesAfterMeta() throws {
        try withTemporaryDirectory { path in
            let pageSize = try buildClosedLog(path, records: 200, recordSize: 50)
            let size = try DataFile.read(path).count
            #expect(size > 2 * pageSize)
            try DataFile.overwrite(path, at: 2 * pageSize, with: [UInt8](repeating: 0, count: size - 2 * pageSize))
            let error = #expect(throws: LMDBError.self) { _ = try openAndVerify(path) }
            #expect(error?.code == MDB_CORRUPTED)
            #expect(error?.isCorruption == true)
        }
    }

    @Test("the records' root page with its page-type flags cleared: verify throws MDB_CORRUPTED")
    func rootPageFlagsCleared() throws {
        try withTemporaryDirectory { path in
            let pageSize = try buildClosedLog(path, records: 12, recordSize: 20)
            let file = try DataFile.read(path)
            let root = try namedDatabaseRoot(file, pageSize: pageSize, name: AppendOnlyLog.recordsDatabaseName)
            #expect(root.depth == 1)
            let flags = root.page * pageSize + Layout.flagsOffset
            #expect(DataFile.uint16LE(file, at: flags) == Int(Layout.leafPage))
            try DataFile.overwrite(path, at: flags, with: [0, 0])

            // The database names are intact, so the log opens; walking the records fails cleanly.
            let log = try openLog(path)
            let error = #expect(throws: LMDBError.self) { _ = try log.environment.read { try log.verify(in: $0) } }
            #expect(error?.code == MDB_CORRUPTED)
            #expect(error?.isCorruption == true)
            #expect(error?.operation.contains(AppendOnlyLog.recordsDatabaseName) == true)
            // So does asking for the log's size, and the environment stays usable for the other database.
            let sizeError = #expect(throws: LMDBError.self) { _ = try log.environment.read { try log.size(in: $0) } }
            #expect(sizeError?.isCorruption == true)
            #expect(try log.environment.read { try $0.statistics(log.databases[1]).entries } == 2 * 12 - 2)
        }
    }

    @Test("a branch page pointing past the end of the file: verify throws MDB_PAGE_NOTFOUND")
    func branchPointerPastTheFile() throws {
        try withTemporaryDirectory { path in
            let pageSize = try buildClosedLog(path, records: 400, recordSize: 60)
            let file = try DataFile.read(path)
            let root = try namedDatabaseRoot(file, pageSize: pageSize, name: AppendOnlyLog.recordsDatabaseName)
            #expect(root.depth >= 2)
            let page = root.page * pageSize
            #expect(DataFile.uint16LE(file, at: page + Layout.flagsOffset) == Int(Layout.branchPage))
            // The first node's child page number lives in its lo, hi and flags fields: make it 2^48 − 1.
            let firstNode = page + DataFile.uint16LE(file, at: page + Layout.firstNodePointer)
            try DataFile.overwrite(path, at: firstNode, with: [UInt8](repeating: 0xff, count: 6))

            let error = #expect(throws: LMDBError.self) { _ = try openAndVerify(path) }
            #expect(error?.code == MDB_PAGE_NOTFOUND)
            #expect(error?.isCorruption == true)
        }
    }

    @Test("isCorruption is true for exactly the structural error codes")
    func corruptionCodes() {
        for code in [MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_PANIC, MDB_VERSION_MISMATCH] {
            #expect(LMDBError(code: code, operation: "x").isCorruption, "\(code)")
        }
        for code in [MDB_NOTFOUND, MDB_KEYEXIST, MDB_MAP_FULL, MDB_MAP_RESIZED, ENOENT, EACCES] {
            #expect(!LMDBError(code: code, operation: "x").isCorruption, "\(code)")
        }
        #expect(LMDBError(code: MDB_CORRUPTED, operation: "mdb_get").description.hasPrefix("mdb_get: "))
    }
}
