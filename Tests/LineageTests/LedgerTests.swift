import Foundation
import Testing

@testable import Lineage

@Suite("Ledger append and idempotency")
struct LedgerTests {
    static func line(id: String, name: String = "Aurora Energia Oy") -> String {
        #"{"id":"\#(id)","type":"party.registered","occurredAt":"2026-01-02T10:00:00Z","schemaVersion":1,"payload":{"party":"aurora","kind":"client","name":"\#(name)","country":"FI","certifications":["iso_27001"]}}"#
    }

    static let ids = (0..<5).map { String(format: "00000000-0000-4000-8000-%012x", $0 + 1) }

    /// Appends `lines` from a file, as the CLI does.
    func append(
        _ lines: [String], to ledger: Ledger, in directory: TemporaryDirectory, options: AppendOptions = AppendOptions()
    )
        throws -> (AppendSummary, [LineOutcome])
    {
        let path = directory.path + "/input-\(UUID().uuidString).ndjson"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var outcomes: [LineOutcome] = []
        let summary = try ledger.append(from: fd, options: options, onLine: { outcomes.append($0) })
        return (summary, outcomes)
    }

    @Test func reorderedResendIsACountedDuplicateAndNothingIsWritten() throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        let (first, _) = try append(Self.ids.map { Self.line(id: $0) }, to: ledger, in: directory)
        #expect(first.appended == 5)
        let before = try ledger.statistics()

        let reordered = Self.ids.map {
            #"{ "payload" : { "certifications" : [ "iso_27001" ] , "country":"FI", "name": "Aurora Energia Oy", "kind" :"client", "party": "aurora" }, "schemaVersion":1.0, "occurredAt":"2026-01-02T10:00:00Z", "type":"party.registered", "id":"\#($0.uppercased())" }"#
        }
        let (second, outcomes) = try append(reordered, to: ledger, in: directory)
        #expect(second.appended == 0)
        #expect(second.duplicates == 5)
        #expect(outcomes.map(\.outcome) == (0..<5).map { Outcome.duplicate(UInt64($0)) })
        let after = try ledger.statistics()
        #expect(after.head == before.head)
        #expect(after.databases.map(\.statistics.entries) == before.databases.map(\.statistics.entries))
    }

    @Test func changedContentUnderAKnownIdIsARejectionNamingTheId() throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        _ = try append([Self.line(id: Self.ids[0])], to: ledger, in: directory)
        let head = try ledger.treeHead()
        let (summary, outcomes) = try append(
            [Self.line(id: Self.ids[0], name: "Aurora Energy Ltd")], to: ledger, in: directory)
        #expect(summary.rejected == 1)
        guard case .rejected(let rejection) = outcomes.first?.outcome else {
            Issue.record("not rejected")
            return
        }
        #expect(rejection.rule == .idConflict)
        #expect(rejection.id == Self.ids[0])
        #expect(try ledger.treeHead() == head)
    }

    @Test func aRepeatWithinOneInputIsADuplicateOfTheFirst() throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        let (summary, outcomes) = try append(
            [Self.line(id: Self.ids[0]), Self.line(id: Self.ids[0]), Self.line(id: Self.ids[0], name: "Other")],
            to: ledger, in: directory)
        #expect(summary.appended == 1 && summary.duplicates == 1 && summary.rejected == 1)
        #expect(outcomes.map(\.line) == [1, 2, 3])
    }

    @Test func atomicRunStoresNothingWhenOneLineIsBad() throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        let lines = [Self.line(id: Self.ids[0]), "{", Self.line(id: Self.ids[1])]
        let (summary, _) = try append(lines, to: ledger, in: directory, options: AppendOptions(atomic: true))
        #expect(summary.appended == 0 && summary.discarded == 2 && summary.rejected == 1)
        #expect(try ledger.treeHead().size == 0)
        let (dry, outcomes) = try append(
            [Self.line(id: Self.ids[0])], to: ledger, in: directory, options: AppendOptions(dryRun: true))
        #expect(dry.wouldAppend == 1 && outcomes.first?.outcome == .wouldAppend(0))
        #expect(try ledger.treeHead().size == 0)
    }

    @Test func verifyRecomputesTreeAndIndex() throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        let (summary, _) = try append(Self.ids.map { Self.line(id: $0) }, to: ledger, in: directory)
        #expect(try ledger.verify() == .intact(head: summary.head, nodes: 2 * 5 - 2))
        // An idempotency entry pointing elsewhere is caught even though the tree is intact.
        try ledger.environment.write { txn in
            let key = try #require(EventID(Self.ids[2])).bytes
            let writer = try ledger.idempotency.writer(in: txn)
            var entry = try #require(try writer.get(key))
            entry[7] ^= 1
            writer.put(key, entry)
        }
        // The quick pass sees that the index no longer holds what the records make (a key twice);
        // the deep one names the record whose entry changed.
        guard case .damaged(_, let problem) = try ledger.verify() else {
            Issue.record("tampered index not detected")
            return
        }
        #expect(problem.contains("ledger.idempotency"), "\(problem)")
        guard case .damaged(let sequence, _) = try ledger.verify(deep: true) else {
            Issue.record("tampered index not detected by the deep pass")
            return
        }
        #expect(sequence == 2)
    }

    @Test func keysStayWithTheirLedger() throws {
        let directory = TemporaryDirectory()
        try Ledger.create(directory: directory.path + "/a")
        try Ledger.create(directory: directory.path + "/b")
        #expect(throws: LedgerError.wrongKeyFile(path: directory.path + "/b/keys.json")) {
            try Ledger(directory: directory.path + "/a", keyFile: directory.path + "/b/keys.json")
        }
        #expect(throws: LedgerError.ledgerExists(directory: directory.path + "/a")) {
            try Ledger.create(directory: directory.path + "/a")
        }
        let mode =
            try FileManager.default.attributesOfItem(atPath: directory.path + "/a/keys.json")[.posixPermissions]
            as? NSNumber
        #expect(mode?.intValue == 0o600)
        chmod(directory.path + "/a/keys.json", 0o644)
        #expect(throws: LedgerError.keyFileInsecure(path: directory.path + "/a/keys.json", mode: 0o644)) {
            try Ledger(directory: directory.path + "/a")
        }
    }
}
