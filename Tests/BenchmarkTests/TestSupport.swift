import CLMDB
import Foundation

/// A directory of its own for one test, removed (with whatever LMDB left in it) when released.
final class ScratchDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("benchmark-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the directory that does not exist yet.
    func child(_ name: String) -> String { path + "/" + name }
}

/// What an LMDB environment holds, read back through the C API alone (not through the code under
/// test): every entry of each named database in LMDB's order, its `mdb_stat` count, and the id of
/// the last committed transaction (which counts the commits of a fresh environment).
struct StoredEnvironment {
    struct Entry: Hashable {
        let key: [UInt8]
        let value: [UInt8]
    }

    var entries: [String: [Entry]] = [:]
    var statEntries: [String: Int] = [:]
    var lastTransactionID = 0

    struct Failure: Error, CustomStringConvertible {
        let call: String
        let code: Int32
        var description: String { "\(call): \(String(cString: mdb_strerror(code)))" }
    }

    /// Opens the environment read-only, reads it and closes it again.
    init(path: String, databases: [String]) throws {
        func check(_ code: Int32, _ call: String) throws {
            if code != MDB_SUCCESS { throw Failure(call: call, code: code) }
        }
        var created: OpaquePointer?
        try check(mdb_env_create(&created), "mdb_env_create")
        let env = created!
        defer { mdb_env_close(env) }
        try check(mdb_env_set_maxdbs(env, MDB_dbi(max(databases.count, 1))), "mdb_env_set_maxdbs")
        try check(mdb_env_open(env, path, UInt32(MDB_RDONLY), 0o600), "mdb_env_open")
        var info = MDB_envinfo()
        try check(mdb_env_info(env, &info), "mdb_env_info")
        lastTransactionID = info.me_last_txnid
        var begun: OpaquePointer?
        try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &begun), "mdb_txn_begin")
        let txn = begun!
        defer { mdb_txn_abort(txn) }
        for name in databases {
            var dbi = MDB_dbi()
            try check(mdb_dbi_open(txn, name, 0, &dbi), "mdb_dbi_open(\(name))")
            var stat = MDB_stat()
            try check(mdb_stat(txn, dbi, &stat), "mdb_stat(\(name))")
            statEntries[name] = Int(stat.ms_entries)
            var cursor: OpaquePointer?
            try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
            defer { mdb_cursor_close(cursor) }
            var list: [Entry] = []
            var key = MDB_val()
            var value = MDB_val()
            var code = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
            while code == MDB_SUCCESS {
                list.append(
                    Entry(
                        key: Array(UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size)),
                        value: Array(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))))
                code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
            }
            if code != MDB_NOTFOUND { try check(code, "mdb_cursor_get") }
            entries[name] = list
        }
    }
}

/// 8-byte big-endian, the key of sequence number `value`.
func bigEndianKey(_ value: Int) -> [UInt8] {
    withUnsafeBytes(of: UInt64(value).bigEndian) { Array($0) }
}

/// Deterministic records of mixed sizes: mostly 340 bytes, with an empty one and one large enough
/// to need LMDB overflow pages, each starting with its index so that no two are alike.
func sampleRecords(_ count: Int) -> [[UInt8]] {
    (0..<count).map { index in
        let size = index == 1 ? 0 : (index == 2 ? 10_000 : 340)
        var record = [UInt8](repeating: 0, count: size)
        for position in 0..<size { record[position] = UInt8(truncatingIfNeeded: index &* 31 &+ position &* 7) }
        if size >= 8 { record.replaceSubrange(0..<8, with: bigEndianKey(index)) }
        return record
    }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func unhex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}
