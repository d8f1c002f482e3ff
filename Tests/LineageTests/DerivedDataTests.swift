import Foundation
import Testing

@testable import Lineage

/// What the ledger derives and decides beside each record: the idempotency index (duplicates are
/// compared with the stored record itself), the versions a disclosure sent (in the record's
/// resolution section), data key ids, and `verify` finding derived entries that do not match.
@Suite("Derived data: idempotency, resolutions, key ids, verification of the projections")
struct DerivedDataTests {
    let scenario = ScenarioTests()

    func append(_ lines: [String], to ledger: Ledger) throws -> [Outcome] {
        let preparer = try ledger.makePreparer()
        return try ledger.append(lines.enumerated().map { preparer.prepare(Array($1.utf8)[...], line: $0 + 1) })
            .outcomes
    }

    @Test("the same event again is a duplicate; the same id with one value changed is a conflict")
    func duplicatesAreComparedWithTheRecord() throws {
        let (directory, ledger) = try scenario.load()
        defer { _ = directory }
        let ingestion = ScenarioTests.lines[6]
        // Reordered members and whitespace: the same canonical content.
        let respelled = ingestion.replacingOccurrences(
            of: #""sourceReference":"INV-1""#, with: #" "sourceReference" : "INV-1" "#)
        #expect(try append([ingestion, respelled], to: ledger) == [.duplicate(6), .duplicate(6)])
        let changedValue = ingestion.replacingOccurrences(of: "Vanha katu 1", with: "Vanha katu 3")
        let changedField = ingestion.replacingOccurrences(of: "INV-1", with: "INV-2")
        let outcomes = try append([changedValue, changedField], to: ledger)
        for outcome in outcomes {
            guard case .rejected(let rejection) = outcome else {
                Issue.record("not a conflict: \(outcome)")
                continue
            }
            #expect(rejection.rule == .idConflict)
            #expect(!rejection.message.contains("Vanha"), "a rejection never repeats a value")
        }
        #expect(try ledger.treeHead().size == UInt64(ScenarioTests.lines.count))
    }

    @Test("a disclosure's record names the version of each field it sent")
    func disclosuresRecordTheirVersions() throws {
        let (directory, ledger) = try scenario.load()
        defer { _ = directory }
        func resolution(_ sequence: UInt64) throws -> [Resolution.Version] {
            let record = try #require(try ledger.record(at: sequence))
            return try #require(Resolution(decoding: record.resolution)).versions
        }
        // Record 7 sent name and address as ingested by record 6; record 9 the address of record 8.
        #expect(try resolution(7) == [.init(sequence: 6, item: 0), .init(sequence: 6, item: 1)])
        #expect(try resolution(9) == [.init(sequence: 8, item: 0)])
        #expect(try resolution(10) == [.init(sequence: 6, item: 0), .init(sequence: 8, item: 0)])
        #expect(try resolution(6).isEmpty && resolution(0).isEmpty)
    }

    @Test("a data key's id is the sequence number and item that first needed it: vault.keys grows at its end")
    func keyIDsAreSequential() throws {
        let (directory, ledger) = try scenario.load()
        defer { _ = directory }
        let ids = try ledger.environment.read { txn in
            try txn.withCursor(ledger.vault.keys) { cursor in
                var ids: [[UInt8]] = []
                var entry = try cursor.first()
                while let current = entry {
                    ids.append(current.key)
                    entry = try cursor.next()
                }
                return ids
            }
        }
        // Record 6 seals name and address (category identification_and_contact) under one key,
        // and the identity code under the key of another category; record 8's address has no case.
        let categories = Set(
            ["name", "address", "personal_identity_code"].map { Vocabulary.standard.fields[$0]!.category })
        #expect(ids.first == Vault.keyID(sequence: 6, item: 0))
        #expect(ids.count == categories.count + 1)
        #expect(ids.last == Vault.keyID(sequence: 8, item: 0))
        #expect(ids == ids.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test("verify names the record whose projection entry was changed, and reports an entry removed from a run")
    func verifyFindsChangedDerivedEntries() throws {
        let key = Projections.prefix("person-1", "address") + BigEndian.bytes(UInt64(8)) + Projections.itemBytes(0)
        do {
            let (directory, ledger) = try scenario.load()
            defer { _ = directory }
            guard case .intact = try ledger.verify() else {
                Issue.record("the scenario does not verify")
                return
            }
            // A newer run that changes one entry's value (a byte of the item's sealed box, which the
            // entry copies from the record): the index then says what no record does.
            try ledger.environment.write { txn in
                let writer = try ledger.projections.provenance.writer(in: txn)
                var value = try #require(try writer.get(key))
                value[value.count - 20] ^= 1
                writer.put(key, value)
            }
            // The query opens the box from the entry: altered, it does not authenticate.
            #expect(throws: OpenError.self) { try ledger.provenance(subject: "person-1", field: "address") }
            // A changed value keeps every count: the quick pass is blind to it, the deep pass is not.
            guard case .damaged(let sequence, let problem) = try ledger.verify(deep: true) else {
                Issue.record("a changed entry was not found")
                return
            }
            #expect(sequence == 8, "\(problem)")
            #expect(problem.contains("projection.provenance"), "\(problem)")
        }
        do {
            let (directory, ledger) = try scenario.load()
            defer { _ = directory }
            // An entry deleted from its run: the run no longer holds what its directory says.
            let provenance = ledger.projections.provenance
            try ledger.environment.write { txn in
                let run = try #require(try provenance.runs(in: txn).first)
                #expect(try txn.delete(provenance.database, key: BigEndian.bytes(run.id) + key))
            }
            for deep in [false, true] {
                guard case .damaged(_, let problem) = try ledger.verify(deep: deep) else {
                    Issue.record("a deleted entry was not found (deep: \(deep))")
                    continue
                }
                #expect(
                    problem.contains("projection.provenance") && problem.contains("entries where its directory says"),
                    "\(problem)")
            }
            guard case .damaged(_, let problem) = try ledger.verify() else { return }
            #expect(
                problem.contains("projection.provenance") && problem.contains("entries where its directory says"),
                "\(problem)")
        }
    }

    @Test("verify checks every record's format without parsing its event, and counts what it derives")
    func verifyChecksRecordFraming() throws {
        func appendRaw(_ record: [UInt8], to ledger: Ledger) throws {
            try ledger.environment.write { txn in _ = try ledger.log.appender(in: txn).append(record) }
        }
        for (name, record) in [
            ("a record of another version", [UInt8(9)] + [UInt8](repeating: 0, count: 24)),
            (
                "a record whose event has no type",
                EventRecord(recordedAt: 1, canonicalEvent: Array("{}".utf8)).encoded()
            ),
            (
                "a disclosure without its versions",
                EventRecord(recordedAt: 1, canonicalEvent: Array(#"{"type":"data.disclosed"}"#.utf8)).encoded()
            ),
        ] {
            let (directory, ledger) = try scenario.load()
            defer { _ = directory }
            // Appended past the ledger's own checks, so that the tree agrees with it.
            try appendRaw(record, to: ledger)
            guard case .damaged(let sequence, let problem) = try ledger.verify() else {
                Issue.record("\(name) was not found")
                continue
            }
            #expect(sequence == UInt64(ScenarioTests.lines.count), "\(name): \(problem)")
        }
        // A well-framed record of a known type that is not in the derived databases: the counts say so.
        let (directory, ledger) = try scenario.load()
        defer { _ = directory }
        let registration = Array(
            #"{"id":"00000000-0000-4000-8000-000000000099","occurredAt":"2026-01-01T00:00:00Z","payload":{"country":"FI","kind":"client","name":"x","party":"x"},"schemaVersion":1,"type":"party.registered"}"#
                .utf8)
        try appendRaw(EventRecord(recordedAt: 1, canonicalEvent: registration).encoded(), to: ledger)
        guard case .damaged(_, let problem) = try ledger.verify() else {
            Issue.record("a record missing from the derived databases was not found")
            return
        }
        #expect(problem.contains("ledger.idempotency holds 11 entries where the records give rise to 12"), "\(problem)")
    }

    @Test("a unit's key cached across transactions is let go when the vault's generation moves on")
    func cachedKeysFollowTheVaultGeneration() throws {
        let (directory, ledger) = try scenario.load()
        defer { _ = directory }
        func ingestion(_ n: Int, _ address: String) -> String {
            ScenarioTests.event(
                n, "data.ingested", "2026-03-0\(n % 9 + 1)T09:00:00Z",
                #"{"source":"dvv","items":[{"field":"address","value":"\#(address)"}],"legalBasis":"legal_obligation","purpose":"identification_and_contact","sourceReference":"DVV-\#(n)"}"#
            )
        }
        // Two transactions: the second finds the unit's key in the vault and keeps it in the cache.
        #expect(try append([ingestion(20, "Katu 20")], to: ledger) == [.appended(11)])
        #expect(try append([ingestion(21, "Katu 21")], to: ledger) == [.appended(12)])
        let second = try #require(try ledger.record(at: 12))
        let firstKey = try #require(SealedValue.decode(second.sealed)?.first?.keyID)
        // An erasure as the vault's contract asks for one: the key destroyed, the generation moved on.
        try ledger.environment.write { txn in
            #expect(try txn.delete(ledger.vault.keys, key: firstKey))
            try txn.put(ledger.vault.meta, key: Vault.generationKey, value: BigEndian.bytes(UInt64(1)))
        }
        #expect(try append([ingestion(22, "Katu 22")], to: ledger) == [.appended(13)])
        let record = try #require(try ledger.record(at: 13))
        let sealed = try #require(SealedValue.decode(record.sealed)?.first)
        #expect(sealed.keyID != firstKey, "a destroyed key was used again")
        try ledger.environment.read { txn in
            let stored = try #require(try StoredEvent.load(13, from: ledger, in: txn))
            #expect(try stored.value(ofItem: 0, vault: ledger.vault, in: txn) == .string("Katu 22"))
            let erased = try #require(try StoredEvent.load(12, from: ledger, in: txn))
            #expect(try erased.value(ofItem: 0, vault: ledger.vault, in: txn) == nil)
        }
    }
}
