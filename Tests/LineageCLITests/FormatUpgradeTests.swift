import Foundation
import Testing

@testable import Lineage

/// A ledger of the previous format (`lineage-ledger/2`, whose provenance entries end at the event id)
/// is refused with the way out named, and `lineage rebuild` brings it up to date.
@Suite("Format upgrade: a lineage-ledger/2 ledger is rebuilt, not misread")
struct FormatUpgradeTests {
    static let samplePath =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/samples/demo-events.ndjson"

    /// Turns the sandbox's ledger into what the previous version wrote: the format marker, and every
    /// provenance entry without the sealed value after its event id.
    static func downgrade(_ directory: String) throws -> Int {
        let ledger = try Ledger(directory: directory)
        let provenance = ledger.projections.provenance.database
        return try ledger.environment.write { txn in
            var rewritten: [(key: [UInt8], value: [UInt8])] = []
            try txn.withCursor(provenance) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    if !current.key.starts(with: [0, 0, 0, 0]), let decoded = ProvenanceEntry(decoding: current.value) {
                        rewritten.append((current.key, Array(decoded.bytes[..<decoded.eventEnd])))
                    }
                    entry = try cursor.next()
                }
            }
            for (key, value) in rewritten { try txn.put(provenance, key: key, value: value) }
            try txn.put(ledger.meta, key: Array("format".utf8), value: Array("lineage-ledger/2".utf8))
            return rewritten.count
        }
    }

    @Test("queries and verify refuse it naming `lineage rebuild`; after the rebuild all is as before")
    func rebuildUpgrades() throws {
        try Sandbox.with { sandbox in
            try sandbox.initLedger()
            #expect(try sandbox.run(["append", Self.samplePath]).exitCode == 0)
            let before = try sandbox.run(["provenance", "--subject", "person-0012"])
            try #require(before.exitCode == 0, "\(before.summary)")
            #expect(try Self.downgrade(sandbox.ledger) > 0)

            for command in [["provenance", "--subject", "person-0012"], ["verify"], ["stats"]] {
                let refused = try sandbox.run(command)
                #expect(refused.exitCode != 0, "\(command) on a /2 ledger: \(refused.summary)")
                #expect(refused.stderr.contains("lineage-ledger/2"), "\(refused.summary)")
                #expect(refused.stderr.contains("lineage rebuild"), "\(refused.summary)")
            }
            let rebuilt = try sandbox.run(["rebuild"])
            #expect(rebuilt.exitCode == 0, "\(rebuilt.summary)")
            let deep = try sandbox.run(["verify", "--deep"])
            #expect(deep.exitCode == 0, "\(deep.summary)")
            let after = try sandbox.run(["provenance", "--subject", "person-0012"])
            #expect(after.exitCode == 0, "\(after.summary)")
            // The same answer: the entries' sealed values were copied back from the records.
            #expect(after.stdout == before.stdout)
            let reopened = try Ledger(directory: sandbox.ledger)
            let format = try reopened.environment.read { try $0.get(reopened.meta, key: Array("format".utf8)) }
            #expect(format == Array(Ledger.formatValue.utf8))
        }
    }
}
