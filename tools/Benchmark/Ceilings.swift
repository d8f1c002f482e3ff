import CCrypto
import CLMDB
import Foundation

// The physical ceilings: what LMDB and libcrypto can do on this machine with nothing of ours in the
// way. They call the C APIs directly (not LedgerStore) so that a ratio of the product to its ceiling
// measures our own overhead, not a difference in how the ceiling was taken. Every environment is
// fresh and opened as the ledger opens its own: full sync (each commit flushes the data, then the meta
// page) through a writable map (MDB_WRITEMAP). The ledger also allocates its file ahead, which a
// ceiling cannot afford with a map sized for its largest run; over a hole or an allocated block, a
// first write to a page faults alike and the blocks are settled at writeback either way. A ceiling
// taken with MDB_NOSYNC, MDB_NOMETASYNC or MDB_MAPASYNC would not be a ceiling of the product, whose
// contract is full sync.

/// A C call of LMDB or OpenSSL that failed, with the library's own explanation.
struct CeilingError: Error, CustomStringConvertible {
    /// The C function (and, where useful, what it was called on), e.g. `mdb_put(index)`.
    let call: String
    /// The LMDB return code or errno, when the failure has one.
    let code: Int32?
    let message: String

    var description: String { "\(call) failed: \(message)" + (code.map { " (\($0))" } ?? "") }

    static func lmdb(_ call: String, code: Int32) -> CeilingError {
        CeilingError(call: call, code: code, message: String(cString: mdb_strerror(code)))
    }

    /// Drains OpenSSL's thread-local error queue into the message, so that a later failure does not
    /// report this one's leftovers.
    static func openSSL(_ call: String) -> CeilingError {
        var texts: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            texts.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return CeilingError(
            call: call, code: nil, message: texts.isEmpty ? "no detail from OpenSSL" : texts.joined(separator: "; "))
    }
}

@inline(__always)
private func checkLMDB(_ code: Int32, _ call: @autoclosure () -> String) throws {
    if code != MDB_SUCCESS { throw CeilingError.lmdb(call(), code: code) }
}

/// OpenSSL's functions return 1 on success and anything else on failure.
@inline(__always)
private func checkOpenSSL(_ result: Int32, _ call: @autoclosure () -> String) throws {
    if result != 1 { throw CeilingError.openSSL(call()) }
}

/// A named database of a replayed environment: its name and the flags given to `mdb_dbi_open`
/// (`MDB_DUPSORT`, `MDB_DUPFIXED`…; `MDB_CREATE` is added by the replay).
struct RawDatabase: Sendable, Hashable {
    var name: String
    var flags: UInt32

    init(name: String, flags: UInt32 = 0) {
        self.name = name
        self.flags = flags
    }
}

/// One captured `mdb_put`: the database by name, the key and value bytes, and the put's flags
/// (`MDB_APPEND`, `MDB_NOOVERWRITE`, `MDB_NODUPDATA`…) exactly as the product passed them; or, when
/// `isDelete`, one deletion of `key` (a merge of sorted runs deletes the runs it merged).
struct RawPut: Sendable, Hashable {
    var database: String
    var key: [UInt8]
    var value: [UInt8]
    var flags: UInt32
    var isDelete: Bool

    init(database: String, key: [UInt8], value: [UInt8], flags: UInt32 = 0, isDelete: Bool = false) {
        self.database = database
        self.key = key
        self.value = value
        self.flags = flags
        self.isDelete = isDelete
    }
}

/// How fast a batch of work went: `items` units (records, digests, seals) holding `bytes` bytes of
/// input, in `seconds` of wall time on the monotonic clock.
struct ThroughputResult: Sendable, Equatable {
    let seconds: Double
    let items: Int
    let bytes: Int

    var itemsPerSecond: Double { Double(items) / seconds }
    var bytesPerSecond: Double { Double(bytes) / seconds }
    /// Decimal megabytes (10⁶ bytes) per second, the unit disks and hash benchmarks are quoted in.
    var megabytesPerSecond: Double { bytesPerSecond / 1e6 }
}

/// One durable transaction per record: the total and each transaction's latency.
struct LatencyResult: Sendable {
    /// Wall time of all transactions together.
    let seconds: Double
    /// Per transaction, from `mdb_txn_begin` to the return of `mdb_txn_commit` (which includes the
    /// fsyncs), in nanoseconds.
    let latencies: Samples
    /// Value bytes written.
    let bytes: Int

    var transactionsPerSecond: Double { Double(latencies.count) / seconds }
}

/// The outcome of replaying captured puts.
struct ReplayResult: Sendable {
    /// Wall time of all transactions, from the first `mdb_txn_begin` to the last commit's return.
    let seconds: Double
    let transactions: Int
    let puts: Int
    /// Key and value bytes of every put.
    let bytes: Int
    /// Puts refused with `MDB_KEYEXIST` under `MDB_NOOVERWRITE` or `MDB_NODUPDATA` (the product
    /// relies on that refusal, e.g. for idempotency checks), left out as the product would.
    let ignoredExisting: Int
    /// Per transaction, begin to commit, in nanoseconds; `nil` unless asked for.
    let latencies: Samples?

    var transactionsPerSecond: Double { Double(transactions) / seconds }
}

/// A hashing run: its throughput and the XOR of every digest it produced. The fold costs a few
/// nanoseconds per digest and lets a test prove that each input was hashed, and hashed right,
/// without keeping the digests.
struct HashResult: Sendable, Equatable {
    let throughput: ThroughputResult
    let digestFold: [UInt8]
}

/// The ceilings. Each LMDB ceiling creates its environment in `directory` (created when missing),
/// which must not hold one already, and closes it before returning; the files stay for the caller to
/// inspect or delete.
enum Ceilings {
    /// Large enough that no benchmark grows the map (a sparse file costs nothing until written), so
    /// that growth is not part of a ceiling.
    static let defaultMapSize = 64 << 30
    /// The database the append ceilings write, keyed by 8-byte big-endian sequence numbers from 0.
    static let recordsDatabase = "records"

    // MARK: - Ceiling A: LMDB appends

    /// Ceiling A, batched: `MDB_APPEND` of `records` under keys 0, 1, 2… into one database,
    /// committing (durably) every `batchSize` records and after the last. The time covers the
    /// transactions only, not opening the environment. `bytes` counts the records' bytes.
    static func lmdbAppendBatched(
        records: [[UInt8]], batchSize: Int, directory: String, mapSize: Int = defaultMapSize
    ) throws -> ThroughputResult {
        precondition(batchSize >= 1, "a batch holds at least one record")
        let env = try openFreshEnvironment(directory: directory, maxDatabases: 1, mapSize: mapSize)
        defer { mdb_env_close(env) }
        let dbi = try openDatabases(env, [RawDatabase(name: recordsDatabase)])[0]
        let start = monotonicNanoseconds()
        var next = 0
        while next < records.count {
            let end = min(next + batchSize, records.count)
            try writeTransaction(env) { txn in
                for sequence in next..<end {
                    try appendRecord(records[sequence], sequence: sequence, txn: txn, dbi: dbi)
                }
            }
            next = end
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        return ThroughputResult(seconds: seconds, items: records.count, bytes: totalBytes(records))
    }

    /// Ceiling A, single: one durable write transaction per record, each an `MDB_APPEND` of that
    /// record under the next sequence number. The latency of each transaction is what one event
    /// appended on its own would wait for at best.
    static func lmdbAppendSingle(
        records: [[UInt8]], directory: String, mapSize: Int = defaultMapSize
    ) throws -> LatencyResult {
        let appender = try SingleAppender(directory: directory, mapSize: mapSize)
        var latencies = [Double]()
        latencies.reserveCapacity(records.count)
        let start = monotonicNanoseconds()
        for record in records { latencies.append(Double(try appender.append(record))) }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        return LatencyResult(seconds: seconds, latencies: Samples(latencies), bytes: totalBytes(records))
    }

    /// Ceiling A, single, a record at a time, for a caller that interleaves it with what it is the
    /// ceiling of, so that a slow phase of the disk falls on both alike. Owns its environment.
    final class SingleAppender {
        private let env: OpaquePointer
        private let dbi: MDB_dbi
        private var sequence = 0

        init(directory: String, mapSize: Int = defaultMapSize) throws {
            env = try openFreshEnvironment(directory: directory, maxDatabases: 1, mapSize: mapSize)
            do {
                dbi = try openDatabases(env, [RawDatabase(name: recordsDatabase)])[0]
            } catch {
                mdb_env_close(env)
                throw error
            }
        }

        deinit { mdb_env_close(env) }

        /// `MDB_APPEND`s `record` under the next sequence number in a durable transaction of its
        /// own; returns the nanoseconds from `mdb_txn_begin` to the return of `mdb_txn_commit`.
        func append(_ record: [UInt8]) throws -> UInt64 {
            let begin = monotonicNanoseconds()
            try writeTransaction(env) { txn in try appendRecord(record, sequence: sequence, txn: txn, dbi: dbi) }
            sequence += 1
            return monotonicNanoseconds() - begin
        }
    }

    /// Ceiling A-full: replays captured puts, one durable commit per element of `transactions`, in
    /// order, into `databases` (all opened, and created, in a first transaction before the clock
    /// starts). A put refused with `MDB_KEYEXIST` is ignored and counted when its flags include
    /// `MDB_NOOVERWRITE` or `MDB_NODUPDATA` (the refusal is the product's intended "already there")
    /// and not `MDB_APPEND`/`MDB_APPENDDUP` (where the same code means a key out of order, a broken
    /// capture). Every other failure throws. A put naming a database not in `databases` is refused
    /// before anything is written. With `recordLatencies`, each transaction is timed on its own.
    static func lmdbReplay(
        databases: [RawDatabase], transactions: [[RawPut]], directory: String, recordLatencies: Bool = false,
        mapSize: Int = defaultMapSize
    ) throws -> ReplayResult {
        // Resolved before anything is written (and before the clock starts, so that the timed loop
        // does no dictionary lookups).
        let indexByName = try Replayer.databaseIndexes(databases)
        let resolved = try transactions.map { try Replayer.resolve($0, in: indexByName) }
        let replayer = try Replayer(databases: databases, directory: directory, mapSize: mapSize)
        let puts = transactions.reduce(0) { $0 + $1.count }
        let bytes = transactions.reduce(0) { $0 + $1.reduce(0) { $0 + $1.key.count + $1.value.count } }
        var ignored = 0
        var latencies = [Double]()
        if recordLatencies { latencies.reserveCapacity(transactions.count) }
        let start = monotonicNanoseconds()
        for (transaction, indexes) in zip(transactions, resolved) {
            let (nanoseconds, refused) = try replayer.replay(transaction, indexes: indexes)
            ignored += refused
            if recordLatencies { latencies.append(Double(nanoseconds)) }
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        return ReplayResult(
            seconds: seconds, transactions: transactions.count, puts: puts, bytes: bytes, ignoredExisting: ignored,
            latencies: recordLatencies ? Samples(latencies) : nil)
    }

    /// Ceiling A-full a transaction at a time (``lmdbReplay(databases:transactions:directory:recordLatencies:mapSize:)``
    /// is its loop), for a caller that interleaves it with what it is the ceiling of. Owns its
    /// environment, whose databases are all opened, and created, when it is made.
    final class Replayer {
        private let env: OpaquePointer
        private let handles: [MDB_dbi]

        init(databases: [RawDatabase], directory: String, mapSize: Int = defaultMapSize) throws {
            // A name listed twice is refused before the environment is created.
            _ = try Self.databaseIndexes(databases)
            env = try openFreshEnvironment(
                directory: directory, maxDatabases: max(databases.count, 1), mapSize: mapSize)
            do {
                handles = try openDatabases(env, databases)
            } catch {
                mdb_env_close(env)
                throw error
            }
        }

        deinit { mdb_env_close(env) }

        /// Each database's position in `databases`, refusing a name listed twice.
        static func databaseIndexes(_ databases: [RawDatabase]) throws -> [String: Int] {
            var indexByName: [String: Int] = [:]
            for (index, database) in databases.enumerated() {
                guard indexByName.updateValue(index, forKey: database.name) == nil else {
                    throw CeilingError(call: "lmdbReplay", code: nil, message: "database \(database.name) listed twice")
                }
            }
            return indexByName
        }

        /// The index of each put's database (from ``databaseIndexes(_:)``), for
        /// ``replay(_:indexes:)``, refusing a put that names none of them (before anything is written).
        static func resolve(_ transaction: [RawPut], in indexByName: [String: Int]) throws -> [Int] {
            try transaction.map { put in
                guard let index = indexByName[put.database] else {
                    throw CeilingError(
                        call: "lmdbReplay", code: nil, message: "a put names an unknown database \(put.database)")
                }
                return index
            }
        }

        /// Replays one transaction, `indexes` from ``resolve(_:in:)``, durably; returns the nanoseconds
        /// from `mdb_txn_begin` to the return of `mdb_txn_commit`, and the puts refused as already
        /// there.
        func replay(_ transaction: [RawPut], indexes: [Int]) throws -> (nanoseconds: UInt64, ignored: Int) {
            let ignorable = UInt32(MDB_NOOVERWRITE) | UInt32(MDB_NODUPDATA)
            let ordered = UInt32(MDB_APPEND) | UInt32(MDB_APPENDDUP)
            var ignored = 0
            let handles = self.handles
            let begin = monotonicNanoseconds()
            try writeTransaction(env) { txn in
                // Appends go through one cursor per database, as the product's do (an append then
                // starts where the last ended); the cursors die with the transaction.
                var appendCursors: [Int: OpaquePointer] = [:]
                for (put, index) in zip(transaction, indexes) {
                    if put.flags & UInt32(MDB_APPEND) != 0 && !put.isDelete {
                        if appendCursors[index] == nil {
                            var cursor: OpaquePointer?
                            try checkLMDB(
                                mdb_cursor_open(txn, handles[index], &cursor), "mdb_cursor_open(\(put.database))")
                            appendCursors[index] = cursor
                        }
                        let code = withValues(of: put) { key, value in
                            mdb_cursor_put(appendCursors[index]!, &key, &value, put.flags)
                        }
                        try checkLMDB(code, "mdb_cursor_put(\(put.database), MDB_APPEND)")
                        continue
                    }
                    if put.isDelete {
                        let code = put.key.withUnsafeBytes { keyBytes in
                            var key = MDB_val(
                                mv_size: keyBytes.count,
                                mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                            return mdb_del(txn, handles[index], &key, nil)
                        }
                        try checkLMDB(code, "mdb_del(\(put.database))")
                        continue
                    }
                    let code = withValues(of: put) { key, value in
                        mdb_put(txn, handles[index], &key, &value, put.flags)
                    }
                    if code == MDB_KEYEXIST && put.flags & ignorable != 0 && put.flags & ordered == 0 {
                        ignored += 1
                        continue
                    }
                    try checkLMDB(code, "mdb_put(\(put.database))")
                }
            }
            return (monotonicNanoseconds() - begin, ignored)
        }
    }

    // MARK: - Ceiling B: libcrypto

    /// SHA-256 of every record as an RFC 6962 / 9162 leaf, SHA-256(0x00 ‖ record), one record at a
    /// time through one reused context (`EVP_DigestInit_ex2`, two `EVP_DigestUpdate`s,
    /// `EVP_DigestFinal_ex`): the per-record work of `verify`. `bytes` counts the records, not the
    /// prefix byte.
    static func sha256Leaf(records: [[UInt8]]) throws -> HashResult {
        let hasher = try LeafHasher()
        var digest = [UInt8](repeating: 0, count: LeafHasher.digestByteCount)
        var fold = DigestFold()
        let start = monotonicNanoseconds()
        try digest.withUnsafeMutableBufferPointer { out in
            for record in records {
                try record.withUnsafeBytes { try hasher.leafHash($0, into: out) }
                fold.add(UnsafeRawBufferPointer(out))
            }
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        return HashResult(
            throughput: ThroughputResult(seconds: seconds, items: records.count, bytes: totalBytes(records)),
            digestFold: fold.bytes)
    }

    /// Plain SHA-256 of every record with the one-shot `EVP_Digest` (which sets up and frees a
    /// context per call): the cost of hashing without a reused context.
    static func sha256OneShot(records: [[UInt8]]) throws -> HashResult {
        let hasher = try LeafHasher()
        var digest = [UInt8](repeating: 0, count: LeafHasher.digestByteCount)
        var fold = DigestFold()
        let start = monotonicNanoseconds()
        try digest.withUnsafeMutableBufferPointer { out in
            for record in records {
                try record.withUnsafeBytes { try hasher.oneShot($0, into: out) }
                fold.add(UnsafeRawBufferPointer(out))
            }
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        return HashResult(
            throughput: ThroughputResult(seconds: seconds, items: records.count, bytes: totalBytes(records)),
            digestFold: fold.bytes)
    }

    /// AES-256-GCM seal of every plaintext under one random key, each with its own random 12-byte
    /// nonce and a 16-byte tag, binding `associatedData`. The nonces are drawn before the clock
    /// starts, so the figure is the cipher's alone (the product also pays one `RAND_bytes` per seal).
    /// By default the key schedule is set up once and each seal only sets its nonce
    /// (`EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce)`); `rekeyEachSeal` sets the key again for
    /// every seal, as sealing under a different data key per erasure unit costs. `bytes` counts the
    /// plaintexts.
    static func aes256GCMSeal(
        plaintexts: [[UInt8]], associatedData: [UInt8] = [], rekeyEachSeal: Bool = false
    ) throws -> ThroughputResult {
        let key = try randomBytes(GCMSealer.keyByteCount)
        let nonces = try randomBytes(GCMSealer.nonceByteCount * plaintexts.count)
        let sealer = try GCMSealer(key: key)
        let longest = plaintexts.map(\.count).max() ?? 0
        var ciphertext = [UInt8](repeating: 0, count: longest + 16)
        var tag = [UInt8](repeating: 0, count: GCMSealer.tagByteCount)
        let start = monotonicNanoseconds()
        try nonces.withUnsafeBytes { allNonces in
            try associatedData.withUnsafeBytes { aad in
                try ciphertext.withUnsafeMutableBufferPointer { out in
                    try tag.withUnsafeMutableBufferPointer { tagOut in
                        for (index, plaintext) in plaintexts.enumerated() {
                            let nonce = UnsafeRawBufferPointer(
                                rebasing: allNonces[(index * GCMSealer.nonceByteCount)...].prefix(
                                    GCMSealer.nonceByteCount))
                            try plaintext.withUnsafeBytes { input in
                                try sealer.seal(
                                    input, nonce: nonce, associatedData: aad, rekey: rekeyEachSeal, ciphertext: out,
                                    tag: tagOut)
                            }
                        }
                    }
                }
            }
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        return ThroughputResult(seconds: seconds, items: plaintexts.count, bytes: totalBytes(plaintexts))
    }

    // MARK: - LMDB plumbing

    /// Creates `directory` if needed and opens a new environment in it as the ledger opens its own
    /// (full sync, writable map). Refuses a directory that already holds `data.mdb`: a ceiling on a used file
    /// would measure free-list reuse instead of appends.
    private static func openFreshEnvironment(directory: String, maxDatabases: Int, mapSize: Int) throws -> OpaquePointer
    {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CeilingError(call: "mkdir(\(directory))", code: nil, message: "\(error)")
        }
        // fileExists stats the path without opening it, so it cannot disturb any LMDB lock.
        guard !FileManager.default.fileExists(atPath: directory + "/data.mdb") else {
            throw CeilingError(
                call: "mdb_env_open(\(directory))", code: nil,
                message: "the directory already holds an environment; a ceiling needs a fresh one")
        }
        var created: OpaquePointer?
        try checkLMDB(mdb_env_create(&created), "mdb_env_create")
        guard let env = created else { throw CeilingError.lmdb("mdb_env_create", code: ENOMEM) }
        do {
            try checkLMDB(mdb_env_set_maxdbs(env, MDB_dbi(maxDatabases)), "mdb_env_set_maxdbs")
            try checkLMDB(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize")
            // Synchronous commits through a writable map, thread-local reader slots: the one thread
            // of a ceiling never needs MDB_NOTLS.
            try checkLMDB(mdb_env_open(env, directory, UInt32(MDB_WRITEMAP), 0o600), "mdb_env_open(\(directory))")

        } catch {
            mdb_env_close(env)
            throw error
        }
        return env
    }

    /// Opens (creating) the databases in one committed write transaction; handles stay valid for
    /// the environment's life.
    private static func openDatabases(_ env: OpaquePointer, _ databases: [RawDatabase]) throws -> [MDB_dbi] {
        var handles: [MDB_dbi] = []
        try writeTransaction(env) { txn in
            for database in databases {
                var dbi = MDB_dbi()
                try checkLMDB(
                    mdb_dbi_open(txn, database.name, database.flags | UInt32(MDB_CREATE), &dbi),
                    "mdb_dbi_open(\(database.name))")
                handles.append(dbi)
            }
        }
        return handles
    }

    /// Runs `body` in a write transaction and commits it, or aborts it when `body` throws.
    private static func writeTransaction(_ env: OpaquePointer, _ body: (OpaquePointer) throws -> Void) throws {
        var begun: OpaquePointer?
        try checkLMDB(mdb_txn_begin(env, nil, 0, &begun), "mdb_txn_begin")
        guard let txn = begun else { throw CeilingError.lmdb("mdb_txn_begin", code: ENOMEM) }
        do {
            try body(txn)
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        // mdb_txn_commit frees the transaction whatever it returns: no abort after it.
        try checkLMDB(mdb_txn_commit(txn), "mdb_txn_commit")
    }

    /// Lends a replayed put's key and value to `body` as LMDB's `MDB_val`s (LMDB only reads them).
    @inline(__always)
    private static func withValues(of put: RawPut, _ body: (inout MDB_val, inout MDB_val) -> Int32) -> Int32 {
        put.key.withUnsafeBytes { keyBytes in
            put.value.withUnsafeBytes { valueBytes in
                var key = MDB_val(
                    mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                var value = MDB_val(
                    mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                return body(&key, &value)
            }
        }
    }

    @inline(__always)
    private static func appendRecord(_ record: [UInt8], sequence: Int, txn: OpaquePointer, dbi: MDB_dbi) throws {
        var bigEndianKey = UInt64(sequence).bigEndian
        let code = withUnsafeMutableBytes(of: &bigEndianKey) { keyBytes in
            record.withUnsafeBytes { valueBytes in
                var key = MDB_val(mv_size: keyBytes.count, mv_data: keyBytes.baseAddress)
                var value = MDB_val(
                    mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                return mdb_put(txn, dbi, &key, &value, UInt32(MDB_APPEND))
            }
        }
        try checkLMDB(code, "mdb_put(\(recordsDatabase), MDB_APPEND)")
    }

    private static func totalBytes(_ records: [[UInt8]]) -> Int {
        records.reduce(0) { $0 + $1.count }
    }

    private static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        try checkOpenSSL(RAND_bytes(&bytes, Int32(count)), "RAND_bytes")
        return bytes
    }
}

/// SHA-256 through libcrypto with one reused context: RFC 6962 leaf hashes and plain one-shot
/// digests. One instance belongs to one thread.
final class LeafHasher {
    static let digestByteCount = 32
    private static let leafPrefix: [UInt8] = [0x00]

    private let algorithm: OpaquePointer
    private let context: OpaquePointer

    init() throws {
        // Fetched once: an implicit fetch inside every EVP_DigestInit would be part of the figure.
        guard let algorithm = EVP_MD_fetch(nil, "SHA256", nil) else {
            throw CeilingError.openSSL("EVP_MD_fetch(SHA256)")
        }
        guard let context = EVP_MD_CTX_new() else {
            EVP_MD_free(algorithm)
            throw CeilingError.openSSL("EVP_MD_CTX_new")
        }
        self.algorithm = algorithm
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
        EVP_MD_free(algorithm)
    }

    /// SHA-256(0x00 ‖ record) into `digest`, which must hold 32 bytes.
    @inline(__always)
    func leafHash(_ record: UnsafeRawBufferPointer, into digest: UnsafeMutableBufferPointer<UInt8>) throws {
        precondition(digest.count >= Self.digestByteCount)
        try checkOpenSSL(EVP_DigestInit_ex2(context, algorithm, nil), "EVP_DigestInit_ex2")
        try checkOpenSSL(EVP_DigestUpdate(context, Self.leafPrefix, 1), "EVP_DigestUpdate(0x00)")
        if record.count > 0 {
            try checkOpenSSL(EVP_DigestUpdate(context, record.baseAddress, record.count), "EVP_DigestUpdate")
        }
        var length: UInt32 = 0
        try checkOpenSSL(EVP_DigestFinal_ex(context, digest.baseAddress, &length), "EVP_DigestFinal_ex")
    }

    /// SHA-256(bytes) with `EVP_Digest` into `digest`, which must hold 32 bytes.
    @inline(__always)
    func oneShot(_ bytes: UnsafeRawBufferPointer, into digest: UnsafeMutableBufferPointer<UInt8>) throws {
        precondition(digest.count >= Self.digestByteCount)
        var length: UInt32 = 0
        try checkOpenSSL(
            EVP_Digest(bytes.baseAddress, bytes.count, digest.baseAddress, &length, algorithm, nil), "EVP_Digest")
    }

    func leafHash(_ record: [UInt8]) throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Self.digestByteCount)
        try record.withUnsafeBytes { input in
            try digest.withUnsafeMutableBufferPointer { try leafHash(input, into: $0) }
        }
        return digest
    }

    func oneShot(_ bytes: [UInt8]) throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Self.digestByteCount)
        try bytes.withUnsafeBytes { input in
            try digest.withUnsafeMutableBufferPointer { try oneShot(input, into: $0) }
        }
        return digest
    }
}

/// AES-256-GCM encryption through libcrypto with one reused cipher context, keyed once. One
/// instance belongs to one thread.
final class GCMSealer {
    static let keyByteCount = 32
    /// 96 bits, GCM's default IV length (so no `EVP_CTRL_GCM_SET_IVLEN` is needed).
    static let nonceByteCount = 12
    static let tagByteCount = 16

    private let context: OpaquePointer
    private let key: [UInt8]

    init(key: [UInt8]) throws {
        precondition(key.count == Self.keyByteCount, "AES-256 needs a 32-byte key")
        guard let context = EVP_CIPHER_CTX_new() else { throw CeilingError.openSSL("EVP_CIPHER_CTX_new") }
        guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nil) == 1 else {
            let error = CeilingError.openSSL("EVP_EncryptInit_ex(aes-256-gcm)")
            EVP_CIPHER_CTX_free(context)
            throw error
        }
        self.context = context
        self.key = key
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Seals `plaintext` with `nonce` (12 bytes), authenticating `associatedData`; writes the
    /// ciphertext (as long as the plaintext) to `ciphertext` and the tag to `tag` (16 bytes).
    /// `rekey` sets the key again instead of reusing the expanded key schedule.
    @inline(__always)
    func seal(
        _ plaintext: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, associatedData: UnsafeRawBufferPointer,
        rekey: Bool = false, ciphertext: UnsafeMutableBufferPointer<UInt8>, tag: UnsafeMutableBufferPointer<UInt8>
    ) throws {
        precondition(nonce.count == Self.nonceByteCount, "GCM here takes a 12-byte nonce")
        precondition(ciphertext.count >= plaintext.count && tag.count >= Self.tagByteCount)
        let nonceBytes = nonce.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if rekey {
            try checkOpenSSL(EVP_EncryptInit_ex(context, nil, nil, key, nonceBytes), "EVP_EncryptInit_ex(key, nonce)")
        } else {
            try checkOpenSSL(EVP_EncryptInit_ex(context, nil, nil, nil, nonceBytes), "EVP_EncryptInit_ex(nonce)")
        }
        var length: Int32 = 0
        if associatedData.count > 0 {
            try checkOpenSSL(
                EVP_EncryptUpdate(
                    context, nil, &length, associatedData.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    Int32(associatedData.count)),
                "EVP_EncryptUpdate(aad)")
        }
        var written: Int32 = 0
        if plaintext.count > 0 {
            try checkOpenSSL(
                EVP_EncryptUpdate(
                    context, ciphertext.baseAddress, &written,
                    plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    Int32(plaintext.count)),
                "EVP_EncryptUpdate")
        }
        // GCM is a stream mode: Final writes nothing, but it completes the tag computation.
        var final: Int32 = 0
        try checkOpenSSL(
            EVP_EncryptFinal_ex(context, ciphertext.baseAddress! + Int(written), &final), "EVP_EncryptFinal_ex")
        try checkOpenSSL(
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagByteCount), tag.baseAddress),
            "EVP_CIPHER_CTX_ctrl(EVP_CTRL_GCM_GET_TAG)")
    }

    /// Seals one plaintext; returns the ciphertext and the tag.
    func seal(
        _ plaintext: [UInt8], nonce: [UInt8], associatedData: [UInt8] = [], rekey: Bool = false
    ) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        // One spare byte so that the buffer has an address even for an empty plaintext.
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 1)
        var tag = [UInt8](repeating: 0, count: Self.tagByteCount)
        try plaintext.withUnsafeBytes { input in
            try nonce.withUnsafeBytes { nonceBytes in
                try associatedData.withUnsafeBytes { aad in
                    try ciphertext.withUnsafeMutableBufferPointer { out in
                        try tag.withUnsafeMutableBufferPointer { tagOut in
                            try seal(
                                input, nonce: nonceBytes, associatedData: aad, rekey: rekey, ciphertext: out,
                                tag: tagOut)
                        }
                    }
                }
            }
        }
        return (Array(ciphertext.prefix(plaintext.count)), tag)
    }
}

/// The XOR of 32-byte digests, four words at a time.
private struct DigestFold {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    @inline(__always)
    mutating func add(_ digest: UnsafeRawBufferPointer) {
        words.0 ^= digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        words.1 ^= digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        words.2 ^= digest.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        words.3 ^= digest.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    /// The fold as bytes in digest order (the words were loaded in native order and are stored back
    /// the same way, so byte i of the result is the XOR of byte i of every digest).
    var bytes: [UInt8] {
        var copy = words
        return withUnsafeBytes(of: &copy) { Array($0) }
    }
}
