import Foundation
import Testing

@testable import Lineage

/// The hand-written scenario of the domain issue: a field received from two sources, superseded
/// once, disclosed to three recipients before and after the change — each recipient shown with the
/// version it actually received.
@Suite("Provenance and recipients scenario")
struct ScenarioTests {
    static func event(_ n: Int, _ type: String, _ at: String, subject: String? = "person-1", _ payload: String)
        -> String
    {
        let subjectMember = subject.map { #""subject":"\#($0)","# } ?? ""
        return
            #"{"id":"\#(String(format: "00000000-0000-4000-8000-%012d", n))","type":"\#(type)","occurredAt":"\#(at)",\#(subjectMember)"schemaVersion":1,"payload":\#(payload)}"#
    }

    static func party(_ n: Int, _ id: String, _ kind: String, _ country: String) -> String {
        event(
            n, "party.registered", "2026-01-01T00:00:00Z", subject: nil,
            #"{"party":"\#(id)","kind":"\#(kind)","name":"\#(id) Ltd","country":"\#(country)"}"#)
    }

    static let lines: [String] = [
        party(1, "aurora", "client", "FI"),
        party(2, "dvv", "population_register", "FI"),
        party(3, "posti", "delivery_company", "FI"),
        party(4, "us-agent", "foreign_agent", "US"),
        party(5, "printing", "processor", "FI"),
        event(6, "case.opened", "2026-02-01T08:00:00Z", #"{"case":"case-1","client":"aurora"}"#),
        event(
            7, "data.ingested", "2026-02-01T09:00:00Z",
            #"{"case":"case-1","source":"aurora","items":[{"field":"name","value":"Matti Meikäläinen"},{"field":"address","value":"Vanha katu 1"},{"field":"personal_identity_code","value":"131052-308T"}],"legalBasis":"legitimate_interests","purpose":"collection_of_overdue_claims","sourceReference":"INV-1"}"#
        ),
        event(
            8, "data.disclosed", "2026-02-02T09:00:00Z",
            #"{"case":"case-1","recipient":"posti","fields":["name","address"],"legalBasis":"legitimate_interests","purpose":"collection_of_overdue_claims","channel":"letter"}"#
        ),
        event(
            9, "data.ingested", "2026-02-03T09:00:00Z",
            #"{"source":"dvv","items":[{"field":"address","value":"Uusi katu 2"}],"legalBasis":"legal_obligation","purpose":"identification_and_contact","sourceReference":"DVV-9"}"#
        ),
        event(
            10, "data.disclosed", "2026-02-04T09:00:00Z",
            #"{"case":"case-1","recipient":"printing","fields":["address"],"legalBasis":"legitimate_interests","purpose":"collection_of_overdue_claims","channel":"file_transfer"}"#
        ),
        event(
            11, "data.disclosed", "2026-02-05T09:00:00Z",
            #"{"case":"case-1","recipient":"us-agent","fields":["name","address"],"legalBasis":"legitimate_interests","purpose":"collection_of_overdue_claims","channel":"api","safeguard":{"type":"standard_contractual_clauses","reference":"SCC-2021-914-7"}}"#
        ),
    ]

    func load() throws -> (TemporaryDirectory, Ledger) {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        let preparer = try ledger.makePreparer()
        let prepared = Self.lines.enumerated().map { preparer.prepare(Array($1.utf8)[...], line: $0 + 1) }
        let (outcomes, _) = try ledger.append(prepared)
        for (index, outcome) in outcomes.enumerated() {
            guard case .appended = outcome else {
                Issue.record("line \(index + 1): \(outcome)")
                continue
            }
        }
        return (directory, ledger)
    }

    @Test func provenanceShowsEveryVersionWithItsSource() throws {
        let (directory, ledger) = try load()
        defer { _ = directory }
        let address = try #require(try ledger.provenance(subject: "person-1", field: "address").first)
        #expect(address.versions.map(\.value) == [.string("Vanha katu 1"), .string("Uusi katu 2")])
        #expect(address.versions.map(\.current) == [false, true])
        #expect(address.versions.map(\.source) == ["aurora", "dvv"])
        #expect(address.versions.map(\.sourceKind) == ["client", "population_register"])
        #expect(address.versions.map(\.sourceReference) == ["INV-1", "DVV-9"])
        #expect(address.versions.map(\.caseID) == ["case-1", nil])
        #expect(address.versions.map(\.legalBasis) == ["legitimate_interests", "legal_obligation"])
        let all = try ledger.provenance(subject: "person-1")
        #expect(all.map(\.field) == ["address", "name", "personal_identity_code"])
    }

    @Test func eachRecipientIsShownWithTheVersionItReceived() throws {
        let (directory, ledger) = try load()
        defer { _ = directory }
        let disclosures = try ledger.recipients(subject: "person-1", field: "address")
        #expect(disclosures.map(\.recipient) == ["posti", "printing", "us-agent"])
        #expect(
            disclosures.map { $0.fields.map(\.value) } == [
                [.string("Vanha katu 1")], [.string("Uusi katu 2")], [.string("Uusi katu 2")],
            ])
        #expect(disclosures.map { $0.fields.map(\.versionSequence) } == [[6], [8], [8]])
        #expect(
            disclosures.last?.safeguard == Safeguard(type: "standard_contractual_clauses", reference: "SCC-2021-914-7"))
        #expect(disclosures.last?.recipientCountry == "US")
        let names = try ledger.recipients(subject: "person-1", field: "name")
        #expect(names.map(\.recipient) == ["posti", "us-agent"])
        #expect(try ledger.recipients(subject: "person-2").isEmpty)
    }

    @Test func lookupFindsThePersonInEverySpellingAndNobodyElse() throws {
        let (directory, ledger) = try load()
        defer { _ = directory }
        #expect(try ledger.lookup(personalIdentityCode: "131052-308T") == ["person-1"])
        #expect(try ledger.lookup(personalIdentityCode: "131052-308t") == ["person-1"])
        #expect(try ledger.lookup(personalIdentityCode: " 131052-308T\n") == ["person-1"])
        #expect(try ledger.lookup(personalIdentityCode: "010101A123N").isEmpty)
        #expect(try ledger.lookup(personalIdentityCode: "not a code").isEmpty)
    }

    @Test("a rebuild's run weighs the flushes an import of its records would make, never more than the run before")
    func rebuildRunWeights() {
        let batch = UInt64(AppendOptions.defaultBatchSize)
        #expect(Ledger.rebuildRunWeight(records: 100, fanIn: 8, previous: .max) == 1)
        #expect(Ledger.rebuildRunWeight(records: 8 * batch, fanIn: 8, previous: .max) == 8)
        #expect(Ledger.rebuildRunWeight(records: 440_000, fanIn: 8, previous: .max) == 64)
        #expect(Ledger.rebuildRunWeight(records: 600_000, fanIn: 8, previous: 64) == 64)
        #expect(Ledger.rebuildRunWeight(records: 5_000_000, fanIn: 8, previous: 8) == 8)
    }

    @Test("a rebuild begins its last-but-one run once what is left is a quarter of what the run has taken")
    func lastButOneRunOfARebuild() {
        let run = 1_000
        // 400 records taken, 100 to come: due; 101 to come: not yet.
        #expect(Ledger.isLastButOneRunDue(records: 400, remaining: 100, pending: 900, runEntries: run))
        #expect(!Ledger.isLastButOneRunDue(records: 400, remaining: 101, pending: 900, runEntries: run))
        #expect(Ledger.isLastButOneRunDue(records: 400, remaining: 0, pending: 900, runEntries: run))
        // Fewer entries pending than an eighth of a run: left for the one run at the end.
        #expect(Ledger.isLastButOneRunDue(records: 400, remaining: 10, pending: 125, runEntries: run))
        #expect(!Ledger.isLastButOneRunDue(records: 400, remaining: 10, pending: 124, runEntries: run))
        // A run that has taken nothing yet.
        #expect(!Ledger.isLastButOneRunDue(records: 0, remaining: 0, pending: 900, runEntries: run))
    }

    @Test func rebuildReplaysTheProjectionsExactly() throws {
        let (directory, ledger) = try load()
        defer { _ = directory }
        func snapshot() throws -> [[Cursor.Entry]] {
            try ledger.environment.read { txn in
                try ledger.projectionDatabases.map { database in
                    try txn.withCursor(database) { cursor in
                        var entries: [Cursor.Entry] = []
                        var entry = try cursor.first()
                        while let current = entry {
                            entries.append(current)
                            entry = try cursor.next()
                        }
                        return entries
                    }
                }
            }
        }
        let before = try snapshot()
        #expect(before.allSatisfy { !$0.isEmpty })
        // Emptying keeps the run directories (with their counters) and nothing else.
        try ledger.environment.write { txn in try ledger.projections.empty(in: txn) }
        #expect(try snapshot().allSatisfy { $0.count <= 1 })
        try ledger.rebuildProjections()
        // The same entries, each sorted-run projection now under the next run number.
        func logical(_ snapshot: [[Cursor.Entry]]) -> [[[UInt8]]] {
            zip(snapshot, ledger.projectionDatabases).map { entries, database in
                guard ledger.runIndexes[database.name] != nil else { return entries.map { $0.key + [0xff] + $0.value } }
                return entries.filter { !$0.key.starts(with: [0, 0, 0, 0]) }.map {
                    Array($0.key.dropFirst(4)) + [0xff] + $0.value
                }
            }
        }
        #expect(logical(try snapshot()) == logical(before))
        guard case .intact = try ledger.verify() else {
            Issue.record("the rebuilt ledger does not verify")
            return
        }
    }

    @Test func valuesAreSealedAndBoundToTheirEvent() throws {
        let (directory, ledger) = try load()
        defer { _ = directory }
        let record = try #require(try ledger.record(at: 6))
        let text = String(decoding: record.canonicalEvent, as: UTF8.self)
        #expect(!text.contains("Matti") && !text.contains("131052"))
        #expect(text.contains(#""sealed":0"#))
        let sealed = try #require(SealedValue.decode(record.sealed))
        #expect(sealed.count == 3)
        // A box moved to another item does not open.
        try ledger.environment.read { txn in
            let key = try #require(try ledger.vault.dataKey(id: sealed[0].keyID, in: txn))
            #expect(throws: OpenError.authenticationFailed) {
                try AESGCM.open(
                    sealed[0].box, key: key,
                    associatedData: Vault.valueAssociatedData(
                        eventID: EventID("00000000-0000-4000-8000-000000000007")!, item: 1, field: "address",
                        keyID: sealed[0].keyID))
            }
        }
    }
}
