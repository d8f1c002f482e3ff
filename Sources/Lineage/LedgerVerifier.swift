extension Ledger {
    /// Recomputes everything from the records, in one read snapshot, and returns the first
    /// disagreement:
    ///
    /// 1. the Merkle tree: every leaf, every stored node, the root;
    /// 2. every record: its format, its event's envelope and payload rules and canonical form, every
    ///    sealed value authenticating under its data key;
    /// 3. every derived database — the idempotency index and each projection — holding exactly the
    ///    entries its records give rise to: the multiset of derived entries and the multiset of stored
    ///    ones are compared by keyed digests (``MultisetDigest``), so neither side is sorted or held in
    ///    memory; the sorted-run databases are also checked for structure (runs, counts, filters).
    ///
    /// It only reads: writers carry on while it runs. A damaged LMDB file surfaces as a thrown
    /// ``LMDBError`` whose `isCorruption` is true.
    public func verify(progress: (UInt64) -> Void = { _ in }) throws -> LogVerification {
        try environment.read { txn in
            let treeResult = try log.verify(in: txn) { progress($0 / 2) }
            guard case .intact(let head, _) = treeResult else { return treeResult }
            let digestKey = try HMACSHA256(key: keys.idempotencyKey).authenticate(Self.digestKeyLabel).bytes
            var expected = try DerivedDigests(key: digestKey)
            var firstDamage: (UInt64, String)?
            _ = try RecordDecoder.run(ledger: self, size: head.size, checking: true) { batch in
                guard firstDamage == nil else { return }
                for record in batch {
                    switch record.outcome {
                    case .damaged(let problem):
                        firstDamage = (record.sequence, problem)
                        return
                    case .decoded(let entries, let eventID):
                        try expected.add(entries, eventID: eventID, sequence: record.sequence)
                    }
                }
                progress(head.size / 2 + (batch.last?.sequence ?? 0) / 2)
            }
            if let (sequence, problem) = firstDamage { return .damaged(sequence: sequence, problem: problem) }
            if let (database, problem) = try storedDatabasesDiffering(from: expected, key: digestKey, in: txn) {
                // The digests say that a database differs, not where: a second pass looks up what each
                // record gives rise to, to name the first record whose entry is missing or different.
                if let database, let sequence = try firstRecordDisagreeing(with: database, size: head.size, in: txn) {
                    return .damaged(
                        sequence: sequence, problem: "record \(sequence)'s entry in \(database) is missing or different"
                    )
                }
                return .damaged(sequence: head.size, problem: problem)
            }
            progress(head.size)
            return treeResult
        }
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
            for record in batch where found == nil {
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
