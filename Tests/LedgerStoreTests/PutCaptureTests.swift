import Foundation
import Testing

@testable import LedgerStore

private struct Deliberate: Error {}

@Suite("A put capture records exactly the committed writes")
struct PutCaptureTests {
    @Test("committed transactions are recorded in order; aborted and discarded ones are not")
    func onlyCommittedPutsAreRecorded() throws {
        try withTemporaryDirectory { path in
            let environment = try Environment(path: path)
            let table = try environment.openDatabases([("t", [])])[0]
            let capture = PutCapture()
            environment.putCapture = capture
            try environment.write { txn in
                try txn.put(table, key: bytes("a"), value: bytes("1"))
                try txn.put(table, key: bytes("b"), value: bytes("2"), flags: .noOverwrite)
            }
            _ = try? environment.write { txn in
                try txn.put(table, key: bytes("c"), value: bytes("3"))
                throw Deliberate()
            }
            try environment.writeAndDiscard { txn in try txn.put(table, key: bytes("d"), value: bytes("4")) }
            try environment.write { txn in try txn.put(table, key: bytes("e"), value: bytes("5"), flags: .append) }

            let recorded = capture.take()
            #expect(recorded.count == 2)
            #expect(recorded.first?.map { String(decoding: $0.key, as: UTF8.self) } == ["a", "b"])
            #expect(recorded.first?.map(\.flags.rawValue) == [0, PutFlags.noOverwrite.rawValue])
            #expect(recorded.last?.map { String(decoding: $0.value, as: UTF8.self) } == ["5"])
            #expect(recorded.last?.first?.database == "t")
            #expect(capture.transactions.isEmpty)
        }
    }

    @Test("a transaction rerun after the map grew is recorded once")
    func mapGrowthRerunIsRecordedOnce() throws {
        try withTemporaryDirectory { path in
            let environment = try Environment(path: path, options: EnvironmentOptions(mapSize: 64 << 10))
            let table = try environment.openDatabases([("t", [])])[0]
            let capture = PutCapture()
            environment.putCapture = capture
            let value = [UInt8](repeating: 7, count: 1_000)
            try environment.write { txn in
                for index in 0..<200 { try txn.put(table, key: BigEndian.bytes(UInt64(index)), value: value) }
            }
            #expect(capture.transactions.map(\.count) == [200])
        }
    }
}
