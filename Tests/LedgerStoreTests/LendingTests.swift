import Foundation
import Testing

@testable import LedgerStore

@Suite("Records lent in place and snapshot ids")
struct LendingTests {
    @Test("withRecord lends exactly the stored record, and nil past the end")
    func withRecordLendsTheRecord() throws {
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            let records = (0..<20).map { index in bytes("record \(index) " + String(repeating: "x", count: index * 37))
            }
            try append(records, to: log)
            try log.environment.read { txn in
                for (sequence, record) in records.enumerated() {
                    let lent = try log.withRecord(at: UInt64(sequence), in: txn) { $0.map(Array.init) }
                    #expect(lent == record)
                    #expect(lent == (try log.record(at: UInt64(sequence), in: txn)))
                }
                #expect(try log.withRecord(at: 20, in: txn) { $0 == nil })
            }
        }
    }

    @Test("a snapshot id stays while nothing is written and grows with each committed write")
    func snapshotIDs() throws {
        try withTemporaryDirectory { path in
            let log = try openLog(path)
            try append([bytes("a")], to: log)
            let first = try log.environment.read { $0.snapshotID }
            #expect(try log.environment.read { $0.snapshotID } == first)
            try append([bytes("b")], to: log)
            let second = try log.environment.read { $0.snapshotID }
            #expect(second > first)
            // A write that is thrown away commits nothing, so the snapshot stays.
            struct Deliberate: Error {}
            #expect(throws: Deliberate.self) {
                try log.environment.write { txn in
                    try log.appender(in: txn).append(bytes("c"))
                    throw Deliberate()
                }
            }
            #expect(try log.environment.read { $0.snapshotID } == second)
        }
    }
}
