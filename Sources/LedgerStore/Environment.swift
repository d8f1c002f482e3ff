import CLMDB
import Glibc

/// How one try at a write transaction ended.
private enum WriteAttempt<T> {
    case done(T)
    case mapResized
    case mapFull
}

/// How to open an ``Environment``.
public struct EnvironmentOptions: Sendable {
    /// The map size to ask for, in bytes. `nil` keeps the size the environment was last given
    /// (by this or another process), or LMDB's default for a new one. The map grows by itself when a
    /// write needs more room, so this is a starting point, not a limit.
    public var mapSize: Int?
    /// Room for named databases (`mdb_env_set_maxdbs`).
    public var maxDatabases: UInt32 = 32
    /// Reader slots shared by all processes (`mdb_env_set_maxreaders`).
    public var maxReaders: UInt32 = 126
    /// Open without write access (`MDB_RDONLY`).
    public var readOnly = false
    /// Write through a writable memory map (`MDB_WRITEMAP`; ignored when read-only). A write
    /// transaction's pages are then the file's own pages in the page cache. Without it LMDB copies
    /// every page a transaction touches to the heap and keeps those copies for reuse for the rest of
    /// the process's life, so one large transaction (a merge of two big runs) would hold the heap at
    /// its size for good. Commits still flush the data and then the meta page. The data file then
    /// never shrinks and is allocated as far as the map reaches (``MapFile`` says why). Every
    /// writable process on one environment must agree on this flag (LMDB's rule); the ledger always
    /// sets it.
    public var writeMap = false

    public init(
        mapSize: Int? = nil, maxDatabases: UInt32 = 32, maxReaders: UInt32 = 126, readOnly: Bool = false,
        writeMap: Bool = false
    ) {
        self.mapSize = mapSize
        self.maxDatabases = maxDatabases
        self.maxReaders = maxReaders
        self.readOnly = readOnly
        self.writeMap = writeMap
    }
}

/// The environment's durability settings, read back from LMDB (`mdb_env_get_flags`).
public struct Durability: Sendable, Equatable {
    /// `MDB_NOSYNC`: commits are not flushed to disk.
    public let noSync: Bool
    /// `MDB_NOMETASYNC`: the meta page is not flushed at commit.
    public let noMetaSync: Bool
    /// `MDB_MAPASYNC`: with a writable map, flushes are asynchronous.
    public let mapAsync: Bool
    /// `MDB_WRITEMAP`: writes go through a writable memory map.
    public let writeMap: Bool

    /// Every commit is flushed, data and meta page, before it returns.
    public var isFullSync: Bool { !noSync && !noMetaSync && !mapAsync }
}

/// What `mdb_env_info` and `mdb_env_stat` tell about the environment.
public struct EnvironmentInfo: Sendable, Equatable {
    public let mapSize: Int
    public let lastPageNumber: Int
    public let pageSize: Int
    public let maxReaders: Int
    public let readersInUse: Int
    /// Bytes of the map that hold pages: (last page number + 1) × page size.
    public var usedBytes: Int { (lastPageNumber + 1) * pageSize }
}

/// An open LMDB environment: one directory holding `data.mdb` and `lock.mdb`, shared by any number of
/// processes (one writer at a time, many readers).
///
/// Transactions are scoped to closures: ``read(_:)`` and ``write(_:)``. A write that hits
/// `MDB_MAP_FULL` grows the map and runs its closure again from the start, so write closures must not
/// have effects outside the transaction that a second run would repeat. Transactions must not be
/// nested: a `write` inside a `read` (or `write`) closure on the same thread could need to grow the
/// map while its own outer transaction holds the map open, and would wait for itself. The
/// corresponding C type is `MDB_env`.
public final class Environment: @unchecked Sendable {
    // @unchecked: LMDB's environment handle is thread-safe when opened with MDB_NOTLS (read
    // transactions are not tied to threads, write transactions are serialised by LMDB's own mutex);
    // the one unsafe operation, changing the map size, is guarded by `mapLock`.
    let handle: OpaquePointer
    /// The directory holding the environment's files.
    public let path: String
    public let isReadOnly: Bool
    /// With `MDB_WRITEMAP`, the data file, through which map size changes are made safe across
    /// processes (see ``MapFile``).
    private let mapFile: MapFile?
    private let mapLock = ReaderWriterLock()
    /// When set, every committed write transaction's puts are recorded (the benchmark's ceiling
    /// A-full). Set it before writing starts, not while another thread writes.
    public var putCapture: PutCapture?
    /// The largest step a single growth takes, so that a big map does not double without bound.
    private static let maxGrowthStep = 1 << 30

    /// Opens (or creates, unless read-only) the environment in the directory `path`, which must exist.
    /// Stale reader slots left by killed processes are cleared.
    public init(path: String, options: EnvironmentOptions = EnvironmentOptions()) throws {
        let mapFile = options.writeMap && !options.readOnly ? try MapFile(directory: path) : nil
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: ENOMEM, operation: "mdb_env_create") }
        do {
            try check(mdb_env_set_maxdbs(env, MDB_dbi(options.maxDatabases)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(env, options.maxReaders), "mdb_env_set_maxreaders")
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            if let mapFile {
                flags |= UInt32(MDB_WRITEMAP)
                // Opening sets the file's length to the map size: never less than it is.
                try mapFile.withExclusiveLock { length in
                    let size = max(options.mapSize ?? 0, length)
                    // An empty file is a new environment to LMDB; a longer one must start with its meta pages.
                    if length > 0 { try mapFile.allocate(upTo: size) }
                    if size > 0 { try check(mdb_env_set_mapsize(env, size), "mdb_env_set_mapsize") }
                    try check(mdb_env_open(env, path, flags, 0o600), "mdb_env_open(\(path))")
                    var info = MDB_envinfo()
                    mdb_env_info(env, &info)
                    try mapFile.allocate(upTo: info.me_mapsize)
                }
            } else {
                if let mapSize = options.mapSize {
                    try check(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize")
                }
                try check(mdb_env_open(env, path, flags, 0o600), "mdb_env_open(\(path))")
            }
            var dead: Int32 = 0
            try check(mdb_reader_check(env, &dead), "mdb_reader_check")
        } catch {
            // Only this path closes the handle: `deinit` does not run for an instance whose stored
            // properties were never all initialised.
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
        self.isReadOnly = options.readOnly
        self.mapFile = mapFile
    }

    deinit {
        mdb_env_close(handle)
    }

    /// Opens named databases once, creating those that are missing (unless the environment is
    /// read-only, when a missing one is an error). Handles stay valid for the environment's life.
    /// When all exist they are opened in a read transaction, so opening never waits for a writer.
    /// The corresponding C function is `mdb_dbi_open`.
    public func openDatabases(_ specs: [(name: String, flags: DatabaseFlags)]) throws -> [Database] {
        func open(_ txn: Transaction, create: Bool) throws -> [Database] {
            try specs.map { spec in
                var dbi = MDB_dbi()
                let flags = spec.flags.rawValue | (create ? UInt32(MDB_CREATE) : 0)
                try check(mdb_dbi_open(txn.handle, spec.name, flags, &dbi), "mdb_dbi_open(\(spec.name))")
                return Database(handle: dbi, name: spec.name)
            }
        }
        do {
            // A read transaction must be committed, not aborted, for its new handles to survive it.
            return try read(commit: true) { try open($0, create: false) }
        } catch let error as LMDBError where error.isNotFound && !isReadOnly {
            return try write { try open($0, create: true) }
        }
    }

    /// Runs `body` in a read-only transaction that sees one consistent snapshot.
    public func read<T>(_ body: (Transaction) throws -> T) throws -> T {
        try read(commit: false, body)
    }

    private func read<T>(commit: Bool, _ body: (Transaction) throws -> T) throws -> T {
        while true {
            let outcome: T? = try mapLock.withShared {
                guard let txn = try begin(flags: UInt32(MDB_RDONLY)) else { return nil }
                defer { txn.releaseDerivedState() }
                let result: T
                do {
                    result = try body(txn)
                } catch {
                    mdb_txn_abort(txn.handle)
                    throw error
                }
                if commit {
                    try check(mdb_txn_commit(txn.handle), "mdb_txn_commit")
                } else {
                    mdb_txn_abort(txn.handle)
                }
                return result
            }
            if let outcome { return outcome }
            try adoptGrownMap()
        }
    }

    /// Runs `body` in the write transaction (one at a time across all processes). Returning commits
    /// (durably, unless the environment was configured otherwise), after the transaction's
    /// ``Transaction/beforeCommit(_:)`` hooks; throwing aborts. When the map is full the transaction is
    /// aborted, the map grown, and `body` run again.
    public func write<T>(_ body: (Transaction) throws -> T) throws -> T {
        try write(commit: true, body)
    }

    /// Runs `body` in a write transaction that is always aborted: what it would do is seen by `body`
    /// and by nobody else (a dry run).
    public func writeAndDiscard<T>(_ body: (Transaction) throws -> T) throws -> T {
        try write(commit: false, body)
    }

    private func write<T>(commit: Bool, _ body: (Transaction) throws -> T) throws -> T {
        while true {
            let attempt: WriteAttempt<T> = try mapLock.withShared {
                guard let txn = try begin(flags: 0) else { return .mapResized }
                defer { txn.releaseDerivedState() }
                let result: T
                do {
                    result = try body(txn)
                    if commit { try txn.runCommitHooks() }
                } catch let error as LMDBError where error.isMapFull {
                    mdb_txn_abort(txn.handle)
                    txn.capture?.transactionAborted()
                    return .mapFull
                } catch {
                    mdb_txn_abort(txn.handle)
                    txn.capture?.transactionAborted()
                    throw error
                }
                guard commit else {
                    mdb_txn_abort(txn.handle)
                    txn.capture?.transactionAborted()
                    return .done(result)
                }
                // mdb_txn_commit frees the transaction whatever it returns: never abort after it.
                let gate = txn.commitGate
                gate?.enter()
                let code = mdb_txn_commit(txn.handle)
                gate?.leave()
                if code != MDB_SUCCESS { txn.capture?.transactionAborted() }
                if code == MDB_MAP_FULL { return .mapFull }
                try check(code, "mdb_txn_commit")
                txn.capture?.transactionCommitted()
                txn.runAfterCommitHooks()
                return .done(result)
            }
            switch attempt {
            case .done(let result): return result
            case .mapResized: try adoptGrownMap()
            case .mapFull: try growMap()
            }
        }
    }

    /// Begins a transaction; `nil` means another process grew the map and it must be adopted first.
    private func begin(flags: UInt32) throws -> Transaction? {
        var txn: OpaquePointer?
        let code = mdb_txn_begin(handle, nil, flags, &txn)
        if code == MDB_MAP_RESIZED { return nil }
        try check(code, "mdb_txn_begin")
        let isWritable = flags & UInt32(MDB_RDONLY) == 0
        return Transaction(handle: txn!, isWritable: isWritable, capture: isWritable ? putCapture : nil)
    }

    /// Takes on the map size another process committed (`mdb_env_set_mapsize(env, 0)`), or with a
    /// writable map the file's length, which is at least every process's map.
    private func adoptGrownMap() throws {
        try mapLock.withExclusive {
            guard let mapFile else { return try check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize") }
            try mapFile.withExclusiveLock { length in
                try setMapSize(max(length, rawInfo().me_mapsize), in: mapFile)
            }
        }
    }

    /// Makes the map larger: to the size another process already committed if that is larger,
    /// otherwise by doubling (at most ``maxGrowthStep`` at a time). No transaction of this process
    /// is open while it runs.
    private func growMap() throws {
        try mapLock.withExclusive {
            let before = rawInfo().me_mapsize
            let grown = before + min(before, Self.maxGrowthStep)
            guard let mapFile else {
                try check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize")
                if rawInfo().me_mapsize > before { return }
                return try check(mdb_env_set_mapsize(handle, grown), "mdb_env_set_mapsize")
            }
            try mapFile.withExclusiveLock { length in
                try setMapSize(length > before ? length : grown, in: mapFile)
            }
        }
    }

    /// Grows the map, before a write known to be large, so that `bytes` more than the pages in use
    /// fit in it: a transaction that hits `MDB_MAP_FULL` runs again from the start, and a rebuild
    /// would do all its work twice. No transaction of this process may be open.
    public func reserve(_ bytes: Int) throws {
        try mapLock.withExclusive {
            if mapFile == nil { try check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize") }
            let raw = rawInfo()
            var stat = MDB_stat()
            mdb_env_stat(handle, &stat)
            let needed = (raw.me_last_pgno + 1) * Int(stat.ms_psize) + bytes
            guard raw.me_mapsize < needed else { return }
            let step = 64 << 20
            let size = (needed + step - 1) / step * step
            guard let mapFile else { return try check(mdb_env_set_mapsize(handle, size), "mdb_env_set_mapsize") }
            try mapFile.withExclusiveLock { length in try setMapSize(max(size, length), in: mapFile) }
        }
    }

    /// Sets a writable map's size to `bytes`, which the caller has made at least the file's length,
    /// allocating the file that far first. Called holding `mapLock` exclusively and the file's lock.
    private func setMapSize(_ bytes: Int, in mapFile: MapFile) throws {
        try mapFile.allocate(upTo: bytes)
        try check(mdb_env_set_mapsize(handle, bytes), "mdb_env_set_mapsize")
    }

    private func rawInfo() -> MDB_envinfo {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info
    }

    /// Brings the `bytes` of the data file after its last used page (within the map) into the page
    /// cache, on the calling thread, and returns where that part ends; `from`, an earlier call's
    /// answer, skips what is already in. A write through the map to a page not in the cache first
    /// has the kernel read it in, and for the pages a growing ledger takes next (never written: a
    /// hole, or allocated ahead) that means zeroing a folio of them inside the writer's page fault,
    /// a sixth of an import's writer; a thread that calls this ahead of the writer takes that work
    /// instead. Only for an environment with a writable map (else it returns `from`); the pages
    /// stay clean, and nothing is written.
    @discardableResult
    public func prefetchGrowth(bytes: Int, from prefetched: Int = 0) -> Int {
        guard let mapFile else { return prefetched }
        let info = self.info
        let used = info.usedBytes
        let start = max(used, prefetched)
        let end = min(used + bytes, info.mapSize)
        guard start < end else { return max(prefetched, used) }
        mapFile.readAhead(offset: start, length: end - start)
        return end
    }

    /// The map size, page usage and reader slots.
    public var info: EnvironmentInfo {
        mapLock.withShared {
            let raw = rawInfo()
            var stat = MDB_stat()
            mdb_env_stat(handle, &stat)
            return EnvironmentInfo(
                mapSize: raw.me_mapsize, lastPageNumber: raw.me_last_pgno, pageSize: Int(stat.ms_psize),
                maxReaders: Int(raw.me_maxreaders), readersInUse: Int(raw.me_numreaders))
        }
    }

    /// The durability flags in force.
    public var durability: Durability {
        var flags: UInt32 = 0
        mdb_env_get_flags(handle, &flags)
        return Durability(
            noSync: flags & UInt32(MDB_NOSYNC) != 0, noMetaSync: flags & UInt32(MDB_NOMETASYNC) != 0,
            mapAsync: flags & UInt32(MDB_MAPASYNC) != 0, writeMap: flags & UInt32(MDB_WRITEMAP) != 0)
    }
}
