import CLMDB

/// A named database inside an ``Environment``: a handle opened once at start-up and valid for the
/// environment's lifetime.
public struct Database: Sendable, Hashable {
    /// The LMDB handle (`MDB_dbi`).
    let handle: MDB_dbi
    /// The name it was opened under, as `mdb_stat -a` lists it.
    public let name: String
}

/// How a named database is created; the `MDB_*` flags of `mdb_dbi_open`.
public struct DatabaseFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_DUPSORT`: several sorted values per key.
    public static let duplicateSort = DatabaseFlags(rawValue: UInt32(MDB_DUPSORT))
    /// `MDB_DUPFIXED`: with `duplicateSort`, all values of a key have one size.
    public static let duplicateFixed = DatabaseFlags(rawValue: UInt32(MDB_DUPFIXED))
}

/// Flags of a single put; the `MDB_*` flags of `mdb_put`.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_NOOVERWRITE`: fail with `MDB_KEYEXIST` when the key is already there.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// `MDB_APPEND`: the key is greater than every key in the database; a fast path for sequence keys.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    /// `MDB_NODUPDATA`: with `duplicateSort`, fail when the key-value pair is already there.
    public static let noDuplicateData = PutFlags(rawValue: UInt32(MDB_NODUPDATA))
}

/// What `mdb_stat` tells about one database.
public struct DatabaseStatistics: Sendable, Equatable {
    public let entries: Int
    public let depth: Int
    public let branchPages: Int
    public let leafPages: Int
    public let overflowPages: Int
    public let pageSize: Int

    init(_ stat: MDB_stat) {
        entries = Int(stat.ms_entries)
        depth = Int(stat.ms_depth)
        branchPages = Int(stat.ms_branch_pages)
        leafPages = Int(stat.ms_leaf_pages)
        overflowPages = Int(stat.ms_overflow_pages)
        pageSize = Int(stat.ms_psize)
    }

    /// Bytes in the pages this database occupies.
    public var bytes: Int { (branchPages + leafPages + overflowPages) * pageSize }
}
