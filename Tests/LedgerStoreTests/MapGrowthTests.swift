import Foundation
import Testing

@testable import LedgerStore

/// A record of exactly 100 bytes that names its sequence number.
private func hundredByteRecord(_ sequence: Int) -> [UInt8] {
    let text = "record \(sequence) "
    return Array((text + String(repeating: ".", count: 100 - text.utf8.count)).utf8)
}

@Suite("The map grows when a write fills it")
struct MapGrowthTests {
    @Test("prefetching growth covers the bytes after the last used page, within the map, each once")
    func prefetchGrowthCoversWhatComesNext() throws {
        try withTemporaryDirectory { path in
            let environment = try Environment(
                path: path, options: EnvironmentOptions(mapSize: 4 << 20, writeMap: true))
            let log = try AppendOnlyLog(environment: environment)
            try environment.write { txn throws in
                let appender = try log.appender(in: txn)
                for i in 0..<1000 { try appender.append(hundredByteRecord(i)) }
            }
            let used = environment.info.usedBytes
            let first = environment.prefetchGrowth(bytes: 1 << 20)
            #expect(first == used + (1 << 20))
            // Asked again from there: nothing more until the file grows past it.
            #expect(environment.prefetchGrowth(bytes: 1 << 20, from: first) == first)
            // Never past the map.
            #expect(environment.prefetchGrowth(bytes: 64 << 20, from: first) == 4 << 20)
            // The ledger reads the same afterwards.
            #expect(try environment.read { try log.size(in: $0) } == 1000)
        }
        try withTemporaryDirectory { path in
            // Without a writable map there is nothing to prefetch.
            let environment = try Environment(path: path, options: EnvironmentOptions(mapSize: 4 << 20))
            #expect(environment.prefetchGrowth(bytes: 1 << 20, from: 7) == 7)
        }
    }

    @Test("a 64 KiB map takes 100,000 appends of 100 bytes, growing as it goes")
    func tinyMapTakesHundredThousandAppends() throws {
        try withTemporaryDirectory { path in
            let startSize = 64 * 1024
            let environment = try Environment(path: path, options: EnvironmentOptions(mapSize: startSize))
            #expect(environment.info.mapSize == startSize)
            let log = try AppendOnlyLog(environment: environment)
            var head = TreeHead(size: 0, root: try MerkleHashing.emptyRoot(using: SHA256Hasher()))
            for batch in 0..<100 {
                head = try environment.write { txn throws in
                    let appender = try log.appender(in: txn)
                    // A retry after MAP_FULL starts again from the committed size.
                    #expect(appender.size == UInt64(batch * 1000))
                    for i in 0..<1000 { try appender.append(hundredByteRecord(batch * 1000 + i)) }
                    return try appender.treeHead()
                }
            }
            let info = environment.info
            #expect(info.mapSize > startSize)
            #expect(info.usedBytes > startSize)
            #expect(info.usedBytes <= info.mapSize)
            #expect(head.size == 100_000)
            try environment.read { txn throws in
                #expect(try log.size(in: txn) == 100_000)
                #expect(try log.treeHead(in: txn) == head)
                #expect(try log.record(at: 0, in: txn) == hundredByteRecord(0))
                #expect(try log.record(at: 54_321, in: txn) == hundredByteRecord(54_321))
                #expect(try log.record(at: 99_999, in: txn) == hundredByteRecord(99_999))
                let nodes = 2 * 100_000 - (100_000 as UInt64).nonzeroBitCount
                #expect(try log.verify(in: txn) == .intact(head: head, nodes: nodes))
            }
        }
    }

    @Test("a reopened environment keeps its grown map, and a too-small request still works")
    func grownMapSurvivesReopen() throws {
        try withTemporaryDirectory { path in
            let startSize = 64 * 1024
            func fill() throws -> Int {
                let log = try openLog(path, options: EnvironmentOptions(mapSize: startSize))
                try append((0..<3000).map(hundredByteRecord), to: log)
                return log.environment.info.mapSize
            }
            let grown = try fill()
            #expect(grown > startSize)
            do {
                // No size requested: the size the file was last given.
                let log = try openLog(path)
                #expect(log.environment.info.mapSize >= grown)
                #expect(try log.environment.read { try log.size(in: $0) } == 3000)
            }
            // Asking for less than the data already needs is no failure, and appends still grow.
            let log = try openLog(path, options: EnvironmentOptions(mapSize: startSize))
            #expect(log.environment.info.mapSize >= log.environment.info.usedBytes)
            try append((3000..<6000).map(hundredByteRecord), to: log)
            try log.environment.read { txn throws in
                #expect(try log.size(in: txn) == 6000)
                guard case .intact(let head, _) = try log.verify(in: txn) else {
                    Issue.record("the grown log does not verify")
                    return
                }
                #expect(head.size == 6000)
            }
        }
    }
}

@Suite("A writable map keeps its file allocated")
struct WriteMapAllocationTests {
    /// Bytes of `data.mdb` that have blocks on disk, and its length.
    private func allocation(_ path: String) throws -> (allocated: Int, length: Int) {
        var status = stat()
        guard stat(path + "/data.mdb", &status) == 0 else { throw LMDBError(code: errno, operation: "stat") }
        return (Int(status.st_blocks) * 512, Int(status.st_size))
    }

    @Test("opening and every growth allocate data.mdb up to the map size, so no mapped write lands in a hole")
    func fileAllocatedAsMapGrows() throws {
        try withTemporaryDirectory { path in
            let startSize = 64 * 1024
            let environment = try Environment(
                path: path, options: EnvironmentOptions(mapSize: startSize, writeMap: true))
            #expect(environment.durability.writeMap)
            var file = try allocation(path)
            #expect(file.length == startSize)
            #expect(file.allocated >= startSize)
            let log = try AppendOnlyLog(environment: environment)
            try append((0..<5000).map(hundredByteRecord), to: log)
            let grown = environment.info.mapSize
            #expect(grown > startSize)
            file = try allocation(path)
            #expect(file.length == grown)
            #expect(file.allocated >= grown)
            try environment.read { txn throws in
                #expect(try log.record(at: 4321, in: txn) == hundredByteRecord(4321))
            }
        }
    }

    @Test("a file left with holes by an earlier process is allocated when a writer opens it")
    func holesFilledOnOpen() throws {
        try withTemporaryDirectory { path in
            let used = try {
                let log = try openLog(path, options: EnvironmentOptions(mapSize: 1 << 20))
                try append((0..<100).map(hundredByteRecord), to: log)
                return log.environment.info.usedBytes
            }()
            // Make the file sparse past its data, as a copy or another LMDB client could leave it.
            let handle = try #require(FileHandle(forUpdatingAtPath: path + "/data.mdb"))
            try handle.truncate(atOffset: UInt64(used))
            try handle.truncate(atOffset: 1 << 20)
            try handle.close()
            #expect(try allocation(path).allocated < 1 << 20)
            let log = try openLog(path, options: EnvironmentOptions(writeMap: true))
            #expect(try allocation(path).allocated >= log.environment.info.mapSize)
            #expect(try log.environment.read { try log.record(at: 99, in: $0) } == hundredByteRecord(99))
        }
    }

    @Test("a read-only open leaves the file as it is")
    func readOnlyDoesNotAllocate() throws {
        try withTemporaryDirectory { path in
            do { _ = try openLog(path, options: EnvironmentOptions(mapSize: 1 << 20)) }
            let before = try allocation(path)
            let environment = try Environment(path: path, options: EnvironmentOptions(readOnly: true, writeMap: true))
            #expect(!environment.durability.writeMap)
            #expect(try allocation(path) == before)
        }
    }
}
