import Foundation

/// What happened to one input event.
public enum Outcome: Equatable, Sendable {
    /// Stored under this sequence number.
    case appended(UInt64)
    /// Already stored, with the same canonical content, under this sequence number; nothing written.
    case duplicate(UInt64)
    case rejected(Rejection)
    /// Acceptable, but not stored: an `--atomic` run that had a rejection stores nothing.
    case discarded
    /// Acceptable, and would be stored under this sequence number (a dry run).
    case wouldAppend(UInt64)
}

/// The lineage ledger: the append-only event log with its idempotency index, in one LMDB environment
/// in a directory, with its keys in a separate file.
///
/// Databases (see docs/FORMAT.md): `log.records`, `log.merkle` (``AppendOnlyLog``),
/// `ledger.idempotency` (event id → sequence number, a ``RunIndex``: ids arrive in random order),
/// `ledger.meta`, the vault and the projections.
public final class Ledger: @unchecked Sendable {
    // @unchecked: the stored properties are immutable and the environment is thread-safe; the HMAC
    // contexts, which are not, are created per call or per thread.
    public static let idempotencyDatabaseName = "ledger.idempotency"
    public static let metaDatabaseName = "ledger.meta"
    public static let keyFileName = "keys.json"
    static let formatValue = "lineage-ledger/3"
    /// Formats whose records this version reads but whose projections it does not: `rebuild` rewrites
    /// their projections and marks them current. `/2`'s provenance entries end at the event id.
    static let rebuildableFormats = ["lineage-ledger/2"]
    static let keyCheckLabel = Array("lineage key check v1".utf8)

    public let directory: String
    public let keyFilePath: String
    public let environment: Environment
    public let log: AppendOnlyLog
    let keys: LedgerKeys
    let idempotency: RunIndex
    let meta: Database
    let vault: Vault
    let projections: Projections

    /// The key file's path: the one given, else `$LINEAGE_KEY_FILE`, else `keys.json` in the ledger.
    public static func keyFilePath(directory: String, explicit: String?) -> String {
        explicit ?? ProcessInfo.processInfo.environment["LINEAGE_KEY_FILE"] ?? directory + "/" + keyFileName
    }

    /// Creates a new ledger and its key file. Refuses an existing ledger or key file.
    @discardableResult
    public static func create(directory: String, keyFile: String? = nil, mapSize: Int? = nil) throws -> Ledger {
        if FileManager.default.fileExists(atPath: directory + "/data.mdb") {
            throw LedgerError.ledgerExists(directory: directory)
        }
        let keyPath = keyFilePath(directory: directory, explicit: keyFile)
        if FileManager.default.fileExists(atPath: keyPath) { throw LedgerError.keyFileExists(path: keyPath) }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw LedgerError.io(path: directory, operation: "mkdir", errno: EACCES)
        }
        let keys = try LedgerKeys.generate()
        try KeyFile.create(at: keyPath, keys: keys)
        let environment = try Environment(
            path: directory, options: EnvironmentOptions(mapSize: mapSize ?? 64 << 20, writeMap: true))
        let ledger = try Ledger(directory: directory, keyFilePath: keyPath, keys: keys, environment: environment)
        let check = try ledger.keyCheck()
        try environment.write { txn in
            try txn.put(ledger.meta, key: Array("format".utf8), value: Array(formatValue.utf8), flags: .noOverwrite)
            try txn.put(ledger.meta, key: Array("keyCheck".utf8), value: check.bytes, flags: .noOverwrite)
        }
        return ledger
    }

    /// Opens an existing ledger. `forRebuild` also opens one of the ``rebuildableFormats``, for
    /// ``rebuildProjections(progress:)`` to bring up to date; nothing else may be asked of it first.
    public convenience init(directory: String, keyFile: String? = nil, forRebuild: Bool = false) throws {
        guard FileManager.default.fileExists(atPath: directory + "/data.mdb") else {
            throw LedgerError.noLedger(directory: directory)
        }
        let keyPath = Self.keyFilePath(directory: directory, explicit: keyFile)
        let keys = try KeyFile.load(from: keyPath)
        try self.init(
            directory: directory, keyFilePath: keyPath, keys: keys,
            environment: Environment(path: directory, options: EnvironmentOptions(writeMap: true)))
        let (format, storedCheck) = try environment.read { txn in
            (try txn.get(meta, key: Array("format".utf8)), try txn.get(meta, key: Array("keyCheck".utf8)))
        }
        let found = format.map { String(decoding: $0, as: UTF8.self) } ?? "none"
        if Self.rebuildableFormats.contains(found) {
            guard forRebuild else { throw LedgerError.projectionsNeedRebuild(found: found, current: Self.formatValue) }
        } else if found != Self.formatValue {
            throw LedgerError.unsupportedFormat(found: found)
        }
        guard storedCheck == (try keyCheck()).bytes else { throw LedgerError.wrongKeyFile(path: keyPath) }
    }

    private init(directory: String, keyFilePath: String, keys: LedgerKeys, environment: Environment) throws {
        self.directory = directory
        self.keyFilePath = keyFilePath
        self.keys = keys
        self.environment = environment
        log = try AppendOnlyLog(environment: environment)
        let own: [(name: String, flags: DatabaseFlags)] = [
            (Self.idempotencyDatabaseName, []), (Self.metaDatabaseName, []), (Vault.unitsDatabaseName, []),
            (Vault.keysDatabaseName, []),
        ]
        let databases = try environment.openDatabases(own + Projections.specs)
        // Only point lookups, which filters make cheap in any number of runs: merge eight at a time,
        // rewriting each entry less often.
        idempotency = RunIndex(database: databases[0], scope: .wholeKey, fanIn: 8)
        meta = databases[1]
        vault = Vault(
            units: databases[2], keys: databases[3], meta: databases[1], keyEncryptionKey: keys.keyEncryptionKey)
        projections = Projections(
            parties: databases[4], provenance: databases[5], disclosures: databases[6], identity: databases[7])
    }

    /// A value that shows which key file a ledger belongs to without revealing the key.
    private func keyCheck() throws -> Digest {
        try HMACSHA256(key: keys.idempotencyKey).authenticate(Self.keyCheckLabel)
    }

    /// A preparer for events bound for this ledger, for one thread.
    public func makePreparer() throws -> EventPreparer { try EventPreparer(keys: keys) }

    /// Writes prepared lines inside the caller's write transaction: rejected lines stay rejected, a
    /// known id is a duplicate (same content) or a conflict (other content), an event that breaks a rule
    /// depending on the ledger's state is rejected, anything else is sealed, appended and projected.
    /// The state checks run here, inside the transaction, so that concurrent writers cannot race past
    /// them; each runs before anything of its event is written, so a rejected event leaves nothing.
    func write<Lines: Collection<PreparedLine>>(
        _ lines: Lines, in txn: Transaction, appender: LogAppender, recordedAt: Int64
    ) throws -> [Outcome] {
        try AESGCMSealer.withSealer { sealer in
            var writer = try EventWriter(
                ledger: self, txn: txn, appender: appender, recordedAt: recordedAt, sealer: sealer)
            let outcomes = try lines.map { line in
                switch line {
                case .rejected(let rejection): return Outcome.rejected(rejection)
                case .event(let prepared): return try writer.write(prepared)
                }
            }
            try writer.keepPartyRegistrations()
            return outcomes
        }
    }

    /// The current tree head.
    public func treeHead(size: UInt64? = nil) throws -> TreeHead {
        try environment.read { try log.treeHead(size: size, in: $0) }
    }

    public func inclusionProof(sequence: UInt64, treeSize: UInt64? = nil) throws -> InclusionProof {
        try environment.read { try log.inclusionProof(sequence: sequence, treeSize: treeSize, in: $0) }
    }

    public func consistencyProof(from first: UInt64, to second: UInt64? = nil) throws -> ConsistencyProof {
        try environment.read { try log.consistencyProof(from: first, to: second, in: $0) }
    }

    /// The record stored under `sequence`, decoded.
    public func record(at sequence: UInt64) throws -> EventRecord? {
        try environment.read { txn in try log.record(at: sequence, in: txn).flatMap(EventRecord.init(decoding:)) }
    }

    /// Every database this ledger owns, in the order docs/FORMAT.md lists them.
    public var databases: [Database] {
        log.databases + [idempotency.database, meta, vault.units.database, vault.keys] + projections.all
    }

    /// The databases kept as sorted runs, by name.
    var runIndexes: [String: RunIndex] {
        Dictionary(
            uniqueKeysWithValues: [idempotency, vault.units, projections.provenance, projections.disclosures].map {
                ($0.database.name, $0)
            })
    }

    /// The microseconds since the epoch now, the ledger's "recorded at" clock.
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }
}
