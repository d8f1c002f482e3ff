import Foundation

extension Ledger {
    /// Checks the ledger against its records, in one read snapshot, and returns the first
    /// disagreement. It only reads: writers carry on while it runs. A damaged LMDB file surfaces as a
    /// thrown ``LMDBError`` whose `isCorruption` is true.
    ///
    /// Always, on both cores:
    /// 1. the Merkle tree: every leaf, every stored node, the root;
    /// 2. every record's format: its sections and their lengths, its sealed values' framing, its
    ///    event's type;
    /// 3. every derived database's run directory against what it stores (each run's filter there,
    ///    nothing outside the runs, as many entries as the runs add up to) and its size: the
    ///    idempotency index one entry per record, the provenance one per ingested item, the
    ///    disclosures one per disclosure, the parties one per registration.
    ///
    /// With `deep`, also:
    /// 4. every event against its envelope and payload rules and its canonical form, every sealed
    ///    value authenticating under its data key;
    /// 5. every derived database's structure entry by entry (each key inside a listed run, each run's
    ///    count, its filter admitting each of its keys) and holding exactly the entries its records
    ///    give rise to: the multiset
    ///    of derived entries and the multiset of stored ones are compared by keyed digests
    ///    (``MultisetDigest``), so neither side is sorted or held in memory; on a difference a second
    ///    pass names the first record whose entry is missing or different.
    public func verify(deep: Bool = false, progress: (UInt64) -> Void = { _ in }) throws -> LogVerification {
        try environment.read { txn in
            let inspectors = (0..<Self.verifyWorkers).map { _ in RecordTally() }
            let treeResult = try log.verify(in: txn, workers: Self.verifyWorkers, inspectors: inspectors) {
                progress(deep ? $0 / 2 : $0)
            }
            guard case .intact(let head, _) = treeResult else { return treeResult }
            let scanned = try storedCounts(in: txn)
            let tally = RecordTally(merging: inspectors)
            let structural = derivedDatabasesDisagreeing(scanned, withCounts: tally)
            // The deep pass, when asked for, goes first: it can name the record a disagreement is about.
            if deep, let damage = try deepCheck(size: head.size, in: txn, progress: progress) { return damage }
            if let structural { return .damaged(sequence: head.size, problem: structural) }
            progress(head.size)
            return treeResult
        }
    }

    /// The threads a verification uses: the machine's two cores.
    static let verifyWorkers = 2

    /// What the derived databases hold: each one's entry count, once its run directory has been
    /// checked against what it stores; or the structural damage found.
    typealias StoredCounts = Result<[String: UInt64], RunIndexDamage>

    /// Reads the run directories, not the entries (``RunIndex/checkDirectory(in:)``): a few reads per
    /// run, so that `verify` costs what recomputing the tree costs. Reading every derived entry —
    /// each run's filter admitting each of its keys, every entry what its record gives rise to — is
    /// the deep pass's.
    func storedCounts(in txn: Transaction) throws -> StoredCounts {
        do {
            var stored: [String: UInt64] = [:]
            for index in [idempotency, projections.provenance, projections.disclosures, vault.units] {
                stored[index.database.name] = try index.checkDirectory(in: txn)
            }
            stored[projections.parties.name] = UInt64(try txn.statistics(projections.parties).entries)
            return .success(stored)
        } catch let damage as RunIndexDamage {
            return .failure(damage)
        }
    }

    /// The first derived database whose structure or size is not what the records' framing says,
    /// described.
    private func derivedDatabasesDisagreeing(_ scanned: StoredCounts, withCounts tally: RecordTally) -> String? {
        let stored: [String: UInt64]
        switch scanned {
        case .failure(let damage): return damage.description
        case .success(let counts): stored = counts
        }
        let expected: [(String, UInt64)] = [
            (idempotency.database.name, tally.records), (projections.provenance.database.name, tally.ingestedItems),
            (projections.disclosures.database.name, tally.disclosures), (projections.parties.name, tally.registrations),
        ]
        for (name, count) in expected where stored[name] != count {
            return "\(name) holds \(stored[name] ?? 0) entries where the records give rise to \(count)"
        }
        return nil
    }

    /// Steps 4 and 5 of ``verify(deep:progress:)``: the first damage, or nil.
    private func deepCheck(size: UInt64, in txn: Transaction, progress: (UInt64) -> Void) throws -> LogVerification? {
        let digestKey = try HMACSHA256(key: keys.idempotencyKey).authenticate(Self.digestKeyLabel).bytes
        var expected = try DerivedDigests(key: digestKey)
        var firstDamage: (UInt64, String)?
        _ = try RecordDecoder.run(ledger: self, size: size, checking: true) { batch in
            guard firstDamage == nil else { return }
            for record in batch.records {
                switch record.outcome {
                case .damaged(let problem):
                    firstDamage = (record.sequence, problem)
                    return
                case .decoded(let entries, let eventID):
                    try expected.add(entries, eventID: eventID, sequence: record.sequence)
                }
            }
            progress(size / 2 + (batch.records.last?.sequence ?? 0) / 2)
        }
        if let (sequence, problem) = firstDamage { return .damaged(sequence: sequence, problem: problem) }
        if let (database, problem) = try storedDatabasesDiffering(from: expected, key: digestKey, in: txn) {
            // The digests say that a database differs, not where: a second pass looks up what each
            // record gives rise to, to name the first record whose entry is missing or different.
            if let database, let sequence = try firstRecordDisagreeing(with: database, size: size, in: txn) {
                return .damaged(
                    sequence: sequence, problem: "record \(sequence)'s entry in \(database) is missing or different")
            }
            return .damaged(sequence: size, problem: problem)
        }
        return nil
    }

    static let digestKeyLabel = Array("lineage derived-entries digest v1".utf8)

    /// The first derived database whose stored entries are not the derived ones (its name, unless its
    /// structure is what is damaged), described; nil when all agree.
    private func storedDatabasesDiffering(from expected: DerivedDigests, key: [UInt8], in txn: Transaction) throws
        -> (database: String?, problem: String)?
    {
        func differs(_ name: String, _ derived: MultisetDigest, _ stored: MultisetDigest) -> (String?, String)? {
            guard !derived.matches(stored) else { return nil }
            return (
                name,
                derived.count == stored.count
                    ? "\(name) does not match a replay of the records"
                    : "\(name) holds \(stored.count) entries where the records give rise to \(derived.count)"
            )
        }
        do {
            let idempotencyDigest = try MultisetDigest(key: key)
            try idempotency.scanChecking(in: txn) { key, value in try idempotencyDigest.add(key, value) }
            if let problem = differs(idempotency.database.name, expected.idempotency, idempotencyDigest) {
                return problem
            }
            for (target, index) in [
                (Projections.Target.provenance, projections.provenance), (.disclosures, projections.disclosures),
            ] {
                let stored = try MultisetDigest(key: key)
                try index.scanChecking(in: txn) { key, value in try stored.add(key, value) }
                if let problem = differs(index.database.name, expected.projections[target]!, stored) { return problem }
            }
            for (target, database) in [
                (Projections.Target.parties, projections.parties), (.identity, projections.identity),
            ] {
                let stored = try MultisetDigest(key: key)
                try txn.withCursor(database) { cursor in
                    var move = Cursor.Move.first
                    while try cursor.withEntry(move, { key, value in try stored.add(key, value) }) != nil {
                        move = .next
                    }
                }
                if let problem = differs(database.name, expected.projections[target]!, stored) { return problem }
            }
            // The vault's units are not derived, but they are kept as runs: check their structure.
            try vault.units.scanChecking(in: txn) { _, _ in }
        } catch let damage as RunIndexDamage {
            return (nil, damage.description)
        }
        return nil
    }

    /// The first record one of whose derived entries in `database` is not stored as derived.
    private func firstRecordDisagreeing(with database: String, size: UInt64, in txn: Transaction) throws -> UInt64? {
        var found: UInt64?
        _ = try RecordDecoder.run(ledger: self, size: size, checking: true) { batch in
            for record in batch.records where found == nil {
                guard case .decoded(let entries, let eventID) = record.outcome else { continue }
                if database == idempotency.database.name {
                    if try idempotency.reader(in: txn).get(eventID.bytes) != BigEndian.bytes(record.sequence) {
                        found = record.sequence
                    }
                    continue
                }
                for entry in entries where try !isStored(entry, in: database, txn: txn) {
                    found = record.sequence
                    break
                }
            }
        }
        return found
    }

    private func isStored(_ entry: Projections.Entry, in database: String, txn: Transaction) throws -> Bool {
        switch entry.target {
        case .provenance where database == projections.provenance.database.name:
            return try projections.provenance.reader(in: txn).get(entry.key) == entry.value
        case .disclosures where database == projections.disclosures.database.name:
            return try projections.disclosures.reader(in: txn).get(entry.key) == entry.value
        case .parties where database == projections.parties.name:
            return try txn.get(projections.parties, key: entry.key) == entry.value
        case .identity where database == projections.identity.name:
            return try projections.subjects(for: Digest(bytes: entry.key)!, in: txn).contains(
                String(decoding: entry.value, as: UTF8.self))
        default:
            return true
        }
    }
}

/// The multiset digests of what the records give rise to, one per derived database.
private struct DerivedDigests {
    let idempotency: MultisetDigest
    let projections: [Projections.Target: MultisetDigest]
    /// The identity index is a set (one entry per code and subject however often the code arrived):
    /// its pairs are counted once.
    private var identityPairs: Set<[UInt8]> = []

    init(key: [UInt8]) throws {
        idempotency = try MultisetDigest(key: key)
        var projections: [Projections.Target: MultisetDigest] = [:]
        for target in Projections.Target.allCases { projections[target] = try MultisetDigest(key: key) }
        self.projections = projections
    }

    mutating func add(_ entries: [Projections.Entry], eventID: EventID, sequence: UInt64) throws {
        try idempotency.add(eventID.bytes, BigEndian.bytes(sequence))
        for entry in entries {
            if entry.target == .identity {
                guard identityPairs.insert(entry.key + [0] + entry.value).inserted else { continue }
            }
            try projections[entry.target]!.add(entry.key, entry.value)
        }
    }
}

/// Each record's format, checked without parsing its event, and what the records say the derived
/// databases must hold. One tally per verifying thread; they are summed afterwards.
final class RecordTally: RecordInspector, @unchecked Sendable {
    // @unchecked: a tally is used by one verifying thread, then read by the caller after that thread
    // has finished (the verifier's wait orders the two).
    private(set) var records: UInt64 = 0
    private(set) var ingestedItems: UInt64 = 0
    private(set) var disclosures: UInt64 = 0
    private(set) var registrations: UInt64 = 0

    /// The event types as bytes, to compare with a record's without building a string; held by
    /// each tally, since reading a global goes through its lazy initialisation check every time.
    private let typeCodes = DomainEvent.types.map { Array($0.utf8) }
    private let ingested: Int
    private let disclosed: Int
    private let registered: Int

    init() {
        ingested = typeCodes.firstIndex(of: Array("data.ingested".utf8))!
        disclosed = typeCodes.firstIndex(of: Array("data.disclosed".utf8))!
        registered = typeCodes.firstIndex(of: Array("party.registered".utf8))!
    }

    /// The index in ``typeCodes`` of the type `bytes` spell, compared in place (the length first).
    private func typeIndex(_ bytes: UnsafeRawBufferPointer) -> Int? {
        for (index, code) in typeCodes.enumerated() where code.count == bytes.count {
            if code.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) }) == 0 { return index }
        }
        return nil
    }

    convenience init(merging tallies: [RecordTally]) {
        self.init()
        for tally in tallies {
            records += tally.records
            ingestedItems += tally.ingestedItems
            disclosures += tally.disclosures
            registrations += tally.registrations
        }
    }

    func inspect(sequence: UInt64, record: UnsafeRawBufferPointer) -> String? {
        guard let framing = EventRecord.Framing(record) else {
            return "record \(sequence) is not a well-formed version-\(EventRecord.formatVersion) record"
        }
        guard let type = framing.eventType.flatMap(typeIndex) else {
            return "record \(sequence) does not end with a known event type"
        }
        guard (framing.resolvedVersions > 0) == (type == disclosed) else {
            return "record \(sequence)'s resolution section does not match its event"
        }
        guard framing.sealedValues == 0 || type == ingested else {
            return "record \(sequence) seals values, which only an ingestion carries"
        }
        records += 1
        switch type {
        case ingested: ingestedItems += UInt64(framing.sealedValues)
        case disclosed: disclosures += 1
        case registered: registrations += 1
        default: break
        }
        return nil
    }
}
