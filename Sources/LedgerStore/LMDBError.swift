import CLMDB

/// An error returned by an LMDB C function: the return code, LMDB's own text for it, and which call failed.
public struct LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The raw return code: one of LMDB's `MDB_*` codes or an `errno` value.
    public let code: Int32
    /// The LMDB function that returned the code, e.g. `mdb_put`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The text `mdb_strerror` gives for the code.
    public var message: String { String(cString: mdb_strerror(code)) }

    public var description: String { "\(operation): \(message) (\(code))" }

    /// `MDB_KEYEXIST`: a put with `MDB_NOOVERWRITE` found the key already there.
    public var isKeyExists: Bool { code == MDB_KEYEXIST }
    /// `MDB_NOTFOUND`.
    public var isNotFound: Bool { code == MDB_NOTFOUND }
    /// `MDB_MAP_FULL`: the environment's map is too small for this write transaction.
    public var isMapFull: Bool { code == MDB_MAP_FULL }
    /// `MDB_MAP_RESIZED`: another process grew the map beyond this process's view of it.
    public var isMapResized: Bool { code == MDB_MAP_RESIZED }
    /// The file's structure is damaged: `MDB_CORRUPTED`, `MDB_PAGE_NOTFOUND`, `MDB_INVALID`,
    /// `MDB_PANIC` or `MDB_VERSION_MISMATCH`.
    public var isCorruption: Bool {
        [MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_PANIC, MDB_VERSION_MISMATCH].contains(code)
    }
}

/// Turns an LMDB return code into a thrown ``LMDBError`` unless it is `MDB_SUCCESS`.
@inline(__always)
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws {
    if code != MDB_SUCCESS { throw LMDBError(code: code, operation: operation()) }
}
