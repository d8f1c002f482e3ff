import Foundation
import LedgerStore
import Testing
import Workload

@testable import Lineage

/// The import's producer hints each event from a snapshot taken before its batch reached the writer;
/// the writer looks only at what is newer. Whatever the snapshot missed — versions, units and ids
/// stored by batches still in flight, or in the same batch — the ledger must come out the same.
@Suite("Snapshot hints: an import with them stores what one without them stores")
struct SnapshotHintTests {
    /// Everything derived, logically (run numbers dropped), and the records without their seals.
    static func content(of ledger: Ledger) throws -> [String] {
        try ledger.environment.read { txn in
            var lines: [String] = []
            // Key ids are random; a key is named by where it was first used, so that a unit given a
            // second key (a missed in-flight key) shows.
            var keyNames: [[UInt8]: String] = [:]
            try ledger.log.forEachRecord(in: txn) { sequence, bytes in
                let record = try #require(EventRecord(decoding: bytes))
                let keys = try #require(SealedValue.decode(record.sealed)).enumerated().map { item, sealed in
                    if let name = keyNames[sealed.keyID] { return name }
                    keyNames[sealed.keyID] = "\(sequence).\(item)"
                    return "\(sequence).\(item)"
                }
                let event = String(decoding: record.canonicalEvent, as: UTF8.self)
                lines.append("record \(sequence) \(event) \(Hex.encode(record.resolution)) keys \(keys)")
            }
            for database in ledger.projectionDatabases {
                try txn.withCursor(database) { cursor in
                    var entry = try cursor.first()
                    while let current = entry {
                        let key =
                            ledger.runIndexes[database.name] == nil ? current.key : Array(current.key.dropFirst(4))
                        if ledger.runIndexes[database.name] == nil || !current.key.starts(with: [0, 0, 0, 0]) {
                            let value = Self.withoutRecordedAt(current.value, in: database.name)
                            // The identity index is keyed by an HMAC under each ledger's own key.
                            let shownKey = database.name == "projection.identity" ? "" : Hex.encode(key)
                            lines.append("\(database.name) \(shownKey) \(Hex.encode(value))")
                        }
                        entry = try cursor.next()
                    }
                }
            }
            return lines.sorted()
        }
    }

    /// A provenance or disclosure entry with its recordedAt zeroed: the two ledgers were written at
    /// other instants. A provenance entry's sealed value is left out: its key id and nonce are random
    /// (the records' keys are compared by where they were first used).
    static func withoutRecordedAt(_ value: [UInt8], in database: String) -> [UInt8] {
        if database == "projection.provenance", let entry = ProvenanceEntry(decoding: value) {
            return ProvenanceEntry.eventFields(
                caseID: entry.caseID, source: entry.source, legalBasis: entry.legalBasis, purpose: entry.purpose,
                sourceReference: entry.sourceReference, occurredAt: entry.occurredAt,
                occurredMicros: entry.occurredMicros, recordedAt: 0, eventID: entry.eventID
            ).bytes
        }
        if database == "projection.disclosures", let entry = DisclosureEntry(decoding: value) {
            return DisclosureEntry(
                caseID: entry.caseID, recipient: entry.recipient, legalBasis: entry.legalBasis,
                purpose: entry.purpose, channel: entry.channel, safeguard: entry.safeguard,
                occurredAt: entry.occurredAt, occurredMicros: entry.occurredMicros, recordedAt: 0,
                eventID: entry.eventID, versions: entry.versions
            ).bytes
        }
        return value
    }

    @Test("a generated workload in small batches, through the hinting pipeline and through plain appends")
    func hintedEqualsPlain() throws {
        let directory = TemporaryDirectory()
        // Small batches so that many events depend on batches still in flight.
        var generator = try WorkloadGenerator(
            WorkloadConfiguration(events: 3_000, seed: 5, probeSizes: [], probePeoplePerSize: 0))
        var lines: [[UInt8]] = []
        while let line = generator.nextLine() { lines.append(line) }
        let path = directory.path + "/w.ndjson"
        try Data(lines.map { $0 + [0x0a] }.joined()).write(to: URL(fileURLWithPath: path))

        let hinted = try Ledger.create(directory: directory.path + "/hinted")
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let summary = try hinted.append(from: fd, options: AppendOptions(batchSize: 37))
        #expect(summary.appended == lines.count)

        let plain = try Ledger.create(directory: directory.path + "/plain")
        let preparer = try plain.makePreparer()
        for chunk in stride(from: 0, to: lines.count, by: 37) {
            let batch = lines[chunk..<min(chunk + 37, lines.count)].enumerated().map {
                preparer.prepare($1[...], line: chunk + $0 + 1)
            }
            _ = try plain.append(Array(batch))
        }
        // The seals differ (fresh nonces, fresh keys); everything else must be equal.
        let hintedContent = try Self.content(of: hinted)
        let plainContent = try Self.content(of: plain)
        #expect(hintedContent.count == plainContent.count)
        if let first = zip(hintedContent, plainContent).first(where: { $0 != $1 }) {
            Issue.record("first difference:\n hinted \(first.0.prefix(300))\n plain  \(first.1.prefix(300))")
        }
        guard case .intact = try hinted.verify(deep: true) else {
            Issue.record("the hinted ledger does not verify")
            return
        }
        try Self.expectNewestFirstVersions(in: hinted, disclosing: lines)
    }

    /// Every field a line of `lines` discloses: its version as the write path looks it up (newest run
    /// first, stopping at the first that serves) is the one the field's whole history names, over
    /// the many runs, merged and not, that small batches leave.
    static func expectNewestFirstVersions(in ledger: Ledger, disclosing lines: [[UInt8]]) throws {
        let preparer = try ledger.makePreparer()
        var asked = Set<String>()
        try ledger.environment.read { txn in
            #expect(try ledger.projections.provenance.runs(in: txn).count >= 4)
            for (number, line) in lines.enumerated() {
                guard case .event(let prepared) = preparer.prepare(line[...], line: number + 1),
                    case .disclosed(let disclosure) = prepared.event.payload,
                    let subject = prepared.event.envelope.subject
                else { continue }
                for field in disclosure.fields
                where asked.insert("\(subject) \(field) \(disclosure.caseID ?? "")").inserted {
                    let history = try ledger.projections.versions(subject: subject, field: field, in: txn)
                    let matching = history.last { $0.caseID == nil || $0.caseID == disclosure.caseID }
                    let found = try ledger.projections.versionCandidates(
                        subject: subject, field: field, caseID: disclosure.caseID, in: txn)
                    #expect(found == Projections.VersionCandidates(matching: matching, latest: history.last))
                }
            }
        }
        #expect(asked.count > 100)
    }

    @Test("a rebuild that writes a run after every decoded batch stores what the import stored")
    func rebuildInSeveralRunsEqualsTheImport() throws {
        let directory = TemporaryDirectory()
        let lines = try Sample.lines(
            WorkloadConfiguration(events: 5_000, seed: 9, probeSizes: [], probePeoplePerSize: 0))
        let path = directory.path + "/w.ndjson"
        try Data(lines.map { $0 + [0x0a] }.joined()).write(to: URL(fileURLWithPath: path))
        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        #expect(try ledger.append(from: fd, options: AppendOptions(batchSize: 250)).appended == lines.count)
        let imported = try Self.content(of: ledger)
        // Three decoded batches of 2,000 records: a run begun after each (written while the writer
        // waits for the next batch, or finished when the next run begins, as the threads' timing
        // falls), and left as three runs of one flush each (fewer than the fan-in).
        #expect(try ledger.rebuildProjections(runEntries: 1) == UInt64(lines.count))
        let rebuilt = try Self.content(of: ledger)
        #expect(rebuilt.count == imported.count)
        if let first = zip(rebuilt, imported).first(where: { $0 != $1 }) {
            Issue.record("first difference:\n rebuilt  \(first.0.prefix(300))\n imported \(first.1.prefix(300))")
        }
        let runs = try ledger.environment.read { txn in try ledger.projections.provenance.runs(in: txn) }
        #expect(runs.map(\.weight) == [1, 1, 1])
        guard case .intact = try ledger.verify(deep: true) else {
            Issue.record("the rebuilt ledger does not verify")
            return
        }
    }
}
