import Foundation
import Testing

@testable import Lineage

/// `lineage verify` exits 3, naming the sequence number, for each kind of damage: a flipped byte in
/// a stored record, a corrupted stored node, a deleted record; and exits 3 (not a crash) when LMDB
/// itself reports the file damaged. The damage is done while no lineage process runs, and the
/// in-process ledger handle is released before the binary looks again.
@Suite("verify exits 3 on damage", .serialized)
struct VerifyExitTests {
    static let marker = "QQMARKERQQ"

    /// A ledger of 20 party registrations; the 8th carries the marker in its name.
    func prepared(_ sandbox: Sandbox) throws {
        try sandbox.initLedger()
        let lines = (0..<20).map { index in
            #"{"id":"00000000-0000-4000-8000-\#(String(format: "%012d", index + 1))","type":"party.registered","occurredAt":"2026-01-01T00:00:00Z","schemaVersion":1,"payload":{"party":"p-\#(index)","kind":"processor","name":"\#(index == 7 ? Self.marker : "Processor \(index)")","country":"FI"}}"#
        }
        let appended = try sandbox.run(["append", try sandbox.write(lines, to: "events.ndjson")])
        try #require(appended.exitCode == 0, "\(appended.summary)")
        try #require(try sandbox.run(["verify"]).exitCode == 0)
    }

    /// Changes the ledger through the library, in a scope that closes the environment after.
    func tamper(_ sandbox: Sandbox, _ body: (Ledger, Transaction) throws -> Void) throws {
        let ledger = try Ledger(directory: sandbox.ledger)
        try ledger.environment.write { txn in try body(ledger, txn) }
    }

    func expectDamaged(_ sandbox: Sandbox, at sequence: Int?, sourceLocation: SourceLocation = #_sourceLocation) throws
    {
        let result = try sandbox.run(["verify"])
        #expect(result.exitCode == 3, "\(result.summary)", sourceLocation: sourceLocation)
        let report = try result.json(sourceLocation: sourceLocation)
        #expect(JSONHelp.bool(report["ok"]) == false, sourceLocation: sourceLocation)
        if let sequence {
            #expect(JSONHelp.int(report["sequence"]) == sequence, "\(report)", sourceLocation: sourceLocation)
        }
    }

    @Test func aFlippedByteInAStoredRecord() throws {
        try Sandbox.with { sandbox in
            try prepared(sandbox)
            let path = sandbox.ledger + "/data.mdb"
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let needle = Array(Self.marker.utf8)
            var flipped = 0
            var index = 0
            while index + needle.count <= bytes.count {
                if Array(bytes[index..<index + needle.count]) == needle {
                    bytes[index + 4] ^= 0x01
                    flipped += 1
                }
                index += 1
            }
            try #require(flipped > 0, "the marker was not found in data.mdb")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            try expectDamaged(sandbox, at: 7)
        }
    }

    @Test func aCorruptedStoredNode() throws {
        try Sandbox.with { sandbox in
            try prepared(sandbox)
            try tamper(sandbox) { ledger, txn in
                let merkle = try #require(ledger.log.databases.first { $0.name == "log.merkle" })
                // The interior node over leaves 12 and 13: level 1, index 6.
                try txn.put(merkle, key: [1] + BigEndian.bytes(UInt64(6)), value: [UInt8](repeating: 0xab, count: 32))
            }
            try expectDamaged(sandbox, at: 13)
        }
    }

    @Test func aDeletedRecord() throws {
        try Sandbox.with { sandbox in
            try prepared(sandbox)
            try tamper(sandbox) { ledger, txn in
                let records = try #require(ledger.log.databases.first { $0.name == "log.records" })
                try txn.delete(records, key: BigEndian.bytes(UInt64(11)))
            }
            try expectDamaged(sandbox, at: 11)
        }
    }

    @Test func aFileLMDBReportsDamaged() throws {
        try Sandbox.with { sandbox in
            try prepared(sandbox)
            let path = sandbox.ledger + "/data.mdb"
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            // Both meta pages' magic numbers (offset 16 of pages 0 and 1): LMDB answers MDB_INVALID.
            for page in 0..<2 { for offset in 0..<4 { bytes[page * 4096 + 16 + offset] = 0 } }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let result = try sandbox.run(["verify"])
            #expect(result.exitCode == 3, "\(result.summary)")
            #expect(!result.signaled)
        }
    }
}

extension VerifyExitTests {
    @Test func aProjectionThatNoLongerMatchesTheRecords() throws {
        try Sandbox.with { sandbox in
            try prepared(sandbox)
            try tamper(sandbox) { ledger, txn in
                let parties = try #require(ledger.projectionDatabases.first { $0.name == "projection.parties" })
                try txn.put(
                    parties, key: Array("p-forged".utf8) + [0] + [UInt8](repeating: 0x80, count: 16),
                    value: Array("{}".utf8))
            }
            let result = try sandbox.run(["verify"])
            #expect(result.exitCode == 3, "\(result.summary)")
            #expect(result.stdout.contains("projection.parties"), "\(result.summary)")
            // rebuild repairs it, after which verify passes again.
            #expect(try sandbox.run(["rebuild"]).exitCode == 0)
            #expect(try sandbox.run(["verify"]).exitCode == 0)
        }
    }

    @Test func aDisclosureEntryWhoseValueChangedIsFoundByTheDeepPass() throws {
        try Sandbox.with { sandbox in
            try sandbox.initLedger()
            let appended = try sandbox.run(["append", SampleLedgerTests.samplePath])
            try #require(appended.exitCode == 0, "\(appended.summary)")
            var changed: UInt64?
            try tamper(sandbox) { ledger, txn in
                // Rewrite one stored disclosure entry in a newer run, one byte of it changed: every count
                // stays as the records say.
                let disclosures = ledger.projections.disclosures
                let writer = try disclosures.writer(in: txn)
                let reader = try disclosures.reader(in: txn)
                let run = try #require(try disclosures.runs(in: txn).first)
                let first = try #require(
                    try txn.withCursor(disclosures.database) { cursor in
                        try cursor.seek(atLeast: BigEndian.bytes(run.id))
                    })
                let key = Array(first.key.dropFirst(4))
                var value = try #require(try reader.get(key))
                value[value.count - 30] ^= 0x20
                writer.put(key, value)
                changed = BigEndian.uint64(Array(key.suffix(8)))
            }
            let result = try sandbox.run(["verify", "--deep"])
            #expect(result.exitCode == 3, "\(result.summary)")
            let report = try result.json()
            #expect(JSONHelp.int(report["sequence"]).map(UInt64.init) == changed, "\(report)")
            #expect(result.stdout.contains("projection.disclosures"), "\(result.summary)")
            #expect(try sandbox.run(["rebuild"]).exitCode == 0)
            #expect(try sandbox.run(["verify", "--deep"]).exitCode == 0)
        }
    }
}
