import CLMDB
import Foundation
import LedgerStore
import Testing

@testable import Benchmark

@Suite("LMDB ceilings write what they measure")
struct LMDBCeilingTests {
    @Test("ceiling A batched appends every record under its sequence number, one commit per batch")
    func batched() throws {
        let scratch = try ScratchDirectory()
        let directory = scratch.child("batched")
        let records = sampleRecords(2_345)
        let result = try Ceilings.lmdbAppendBatched(records: records, batchSize: 500, directory: directory)
        #expect(result.items == records.count)
        #expect(result.bytes == records.reduce(0) { $0 + $1.count })
        #expect(result.seconds > 0 && result.itemsPerSecond > 0 && result.megabytesPerSecond > 0)

        let stored = try StoredEnvironment(path: directory, databases: [Ceilings.recordsDatabase])
        #expect(stored.statEntries[Ceilings.recordsDatabase] == records.count)
        let entries = try #require(stored.entries[Ceilings.recordsDatabase])
        #expect(entries.map(\.key) == records.indices.map(bigEndianKey))
        #expect(entries.map(\.value) == records)
        // One transaction opened the database, then ⌈2345 / 500⌉ = 5 batches.
        #expect(stored.lastTransactionID == 1 + 5)
    }

    @Test("ceiling A single commits one transaction per record and times each")
    func single() throws {
        let scratch = try ScratchDirectory()
        let directory = scratch.child("single")
        let records = sampleRecords(40)
        let result = try Ceilings.lmdbAppendSingle(records: records, directory: directory)
        #expect(result.latencies.count == records.count)
        #expect(result.latencies.min > 0)
        #expect(result.latencies.percentile(99) <= result.latencies.max)
        #expect(result.seconds * 1e9 >= result.latencies.sorted.reduce(0, +) * 0.999)

        let stored = try StoredEnvironment(path: directory, databases: [Ceilings.recordsDatabase])
        #expect(stored.entries[Ceilings.recordsDatabase]?.map(\.value) == records)
        #expect(stored.lastTransactionID == 1 + records.count)
    }

    @Test("a ceiling refuses a directory that already holds an environment")
    func refusesUsedDirectory() throws {
        let scratch = try ScratchDirectory()
        let directory = scratch.child("used")
        _ = try Ceilings.lmdbAppendBatched(records: sampleRecords(3), batchSize: 10, directory: directory)
        #expect(throws: CeilingError.self) {
            try Ceilings.lmdbAppendBatched(records: sampleRecords(3), batchSize: 10, directory: directory)
        }
        #expect(throws: CeilingError.self) {
            try Ceilings.lmdbAppendSingle(records: sampleRecords(3), directory: directory)
        }
    }

    /// What a sequence of puts leaves behind, by LMDB's documented rules: a plain put replaces the
    /// value (or adds a duplicate in a DUPSORT database), NOOVERWRITE keeps an existing key's value,
    /// NODUPDATA keeps an existing pair.
    private func expectedState(
        _ databases: [RawDatabase], _ transactions: [[RawPut]]
    ) -> (state: [String: Set<StoredEnvironment.Entry>], refused: Int) {
        var state: [String: [[UInt8]: Set<[UInt8]>]] = [:]
        var refused = 0
        let sorted = Set(databases.filter { $0.flags & UInt32(MDB_DUPSORT) != 0 }.map(\.name))
        for put in transactions.joined() {
            var values = state[put.database, default: [:]]
            let existing = values[put.key]
            if put.flags & UInt32(MDB_NOOVERWRITE) != 0, existing != nil {
                refused += 1
            } else if put.flags & UInt32(MDB_NODUPDATA) != 0, existing?.contains(put.value) == true {
                refused += 1
            } else if sorted.contains(put.database) {
                values[put.key, default: []].insert(put.value)
            } else {
                values[put.key] = [put.value]
            }
            state[put.database] = values
        }
        let flattened = state.mapValues { values in
            Set(values.flatMap { key, set in set.map { StoredEnvironment.Entry(key: key, value: $0) } })
        }
        return (flattened, refused)
    }

    @Test("ceiling A-full replays every put with its flags, one commit per transaction")
    func replay() throws {
        let databases = [
            RawDatabase(name: "log"), RawDatabase(name: "index", flags: UInt32(MDB_DUPSORT)), RawDatabase(name: "ids"),
        ]
        let append = UInt32(MDB_APPEND)
        let noOverwrite = UInt32(MDB_NOOVERWRITE)
        let noDuplicate = UInt32(MDB_NODUPDATA)
        var transactions: [[RawPut]] = [
            [
                RawPut(database: "log", key: bigEndianKey(0), value: Array("zero".utf8), flags: append),
                RawPut(database: "index", key: Array("a".utf8), value: Array("v1".utf8), flags: noDuplicate),
                RawPut(database: "ids", key: Array("x".utf8), value: Array("1".utf8), flags: noOverwrite),
            ],
            [
                RawPut(database: "log", key: bigEndianKey(1), value: Array("one".utf8), flags: append),
                RawPut(database: "index", key: Array("a".utf8), value: Array("v2".utf8), flags: noDuplicate),
                // Both refused with MDB_KEYEXIST, as the product expects: ignored, not fatal.
                RawPut(database: "index", key: Array("a".utf8), value: Array("v1".utf8), flags: noDuplicate),
                RawPut(database: "ids", key: Array("x".utf8), value: Array("2".utf8), flags: noOverwrite),
                RawPut(database: "ids", key: Array("y".utf8), value: Array("3".utf8), flags: noOverwrite),
            ],
            [
                // A put without flags replaces.
                RawPut(database: "ids", key: Array("y".utf8), value: Array("4".utf8))
            ],
        ]
        // Then bulk: ordered appends and scattered index entries, as an import would write them.
        for batch in 0..<30 {
            transactions.append(
                (0..<20).flatMap { item -> [RawPut] in
                    let sequence = 2 + batch * 20 + item
                    return [
                        RawPut(database: "log", key: bigEndianKey(sequence), value: sampleRecords(1)[0], flags: append),
                        RawPut(
                            database: "index", key: Array("person-\(sequence % 7)".utf8), value: bigEndianKey(sequence),
                            flags: noDuplicate),
                    ]
                })
        }
        let scratch = try ScratchDirectory()
        let directory = scratch.child("replay")
        let result = try Ceilings.lmdbReplay(
            databases: databases, transactions: transactions, directory: directory, recordLatencies: true)

        let expected = expectedState(databases, transactions)
        #expect(expected.refused == 2)
        #expect(result.ignoredExisting == expected.refused)
        #expect(result.transactions == transactions.count)
        #expect(result.puts == transactions.joined().count)
        #expect(result.latencies?.count == transactions.count)
        let stored = try StoredEnvironment(path: directory, databases: databases.map(\.name))
        for database in databases {
            let entries = stored.entries[database.name] ?? []
            #expect(Set(entries) == expected.state[database.name] ?? [], "database \(database.name)")
            #expect(entries.count == stored.statEntries[database.name])
        }
        #expect(stored.entries["ids"]?.first { $0.key == Array("x".utf8) }?.value == Array("1".utf8))
        #expect(stored.entries["ids"]?.first { $0.key == Array("y".utf8) }?.value == Array("4".utf8))
        #expect(stored.lastTransactionID == 1 + transactions.count)
    }

    @Test("a replay without latencies reports none")
    func replayWithoutLatencies() throws {
        let scratch = try ScratchDirectory()
        let result = try Ceilings.lmdbReplay(
            databases: [RawDatabase(name: "log")],
            transactions: [[RawPut(database: "log", key: [1], value: [2])]], directory: scratch.child("plain"))
        #expect(result.latencies == nil)
        #expect(result.bytes == 2)
    }

    @Test("a put to an unknown database is refused before anything is written")
    func unknownDatabase() throws {
        let scratch = try ScratchDirectory()
        let directory = scratch.child("unknown")
        let error = #expect(throws: CeilingError.self) {
            try Ceilings.lmdbReplay(
                databases: [RawDatabase(name: "log")],
                transactions: [[RawPut(database: "elsewhere", key: [1], value: [2])]], directory: directory)
        }
        #expect(error?.description.contains("elsewhere") == true)
        #expect(!FileManager.default.fileExists(atPath: directory + "/data.mdb"))
    }

    @Test("an append out of order is an error, not an ignored duplicate")
    func appendOutOfOrder() throws {
        let scratch = try ScratchDirectory()
        let append = UInt32(MDB_APPEND)
        let error = #expect(throws: CeilingError.self) {
            try Ceilings.lmdbReplay(
                databases: [RawDatabase(name: "log")],
                transactions: [
                    [RawPut(database: "log", key: bigEndianKey(5), value: [1], flags: append)],
                    [RawPut(database: "log", key: bigEndianKey(4), value: [2], flags: append)],
                ], directory: scratch.child("order"))
        }
        #expect(error?.call == "mdb_cursor_put(log, MDB_APPEND)")
        #expect(error?.code == MDB_KEYEXIST)
    }
}

@Suite("libcrypto ceilings compute what the product computes")
struct CryptoCeilingTests {
    @Test("the leaf hash is SHA-256(0x00 ‖ record): RFC 6962's empty leaf and LedgerStore's hashes")
    func leafHash() throws {
        let hasher = try LeafHasher()
        #expect(hex(try hasher.leafHash([])) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        let reference = SHA256Hasher()
        for record in sampleRecords(5) {
            #expect(try hasher.leafHash(record) == MerkleHashing.leafHash(record, using: reference).bytes)
            #expect(try hasher.oneShot(record) == reference.digest(of: record).bytes)
        }
        #expect(
            hex(try hasher.oneShot(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("the SHA-256 ceilings hash every record, correctly, at a positive rate")
    func hashingCeilings() throws {
        let records = sampleRecords(300)
        let reference = SHA256Hasher()
        var leafFold = [UInt8](repeating: 0, count: 32)
        var plainFold = [UInt8](repeating: 0, count: 32)
        for record in records {
            for (index, byte) in try MerkleHashing.leafHash(record, using: reference).bytes.enumerated() {
                leafFold[index] ^= byte
            }
            for (index, byte) in try reference.digest(of: record).bytes.enumerated() { plainFold[index] ^= byte }
        }
        let leaf = try Ceilings.sha256Leaf(records: records)
        #expect(leaf.digestFold == leafFold)
        #expect(leaf.throughput.items == records.count)
        #expect(leaf.throughput.bytes == records.reduce(0) { $0 + $1.count })
        #expect(leaf.throughput.bytesPerSecond > 0)
        let plain = try Ceilings.sha256OneShot(records: records)
        #expect(plain.digestFold == plainFold)
        #expect(plain.throughput.bytesPerSecond > 0)
    }

    @Test("the GCM sealer matches the AES-256 GCM test vector (zero key, nonce and block)")
    func gcmKnownAnswer() throws {
        let sealer = try GCMSealer(key: [UInt8](repeating: 0, count: 32))
        let sealed = try sealer.seal([UInt8](repeating: 0, count: 16), nonce: [UInt8](repeating: 0, count: 12))
        #expect(hex(sealed.ciphertext) == "cea7403d4d606b6e074ec5d3baf39d18")
        #expect(hex(sealed.tag) == "d0d1c8a799996bf0265b98b5d48ab919")
    }

    @Test(
        "seal after seal on one context, with or without rekeying, opens with LedgerStore's AESGCM",
        arguments: [false, true])
    func gcmReuse(rekey: Bool) throws {
        let key = (0..<32).map { UInt8($0) }
        let sealer = try GCMSealer(key: key)
        let associatedData = Array("event-id|field|key-id".utf8)
        for (index, plaintext) in sampleRecords(6).enumerated() {
            let nonce = (0..<12).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ index) }
            let aad = index.isMultiple(of: 2) ? associatedData : []
            let sealed = try sealer.seal(plaintext, nonce: nonce, associatedData: aad, rekey: rekey)
            #expect(sealed.ciphertext.count == plaintext.count)
            let box = SealedBox(nonce: nonce, ciphertext: sealed.ciphertext, tag: sealed.tag)
            #expect(try AESGCM.open(box, key: key, associatedData: aad) == plaintext)
        }
    }

    @Test("the AES-GCM ceiling seals every plaintext at a positive rate")
    func sealingCeiling() throws {
        let plaintexts = sampleRecords(200)
        for rekey in [false, true] {
            let result = try Ceilings.aes256GCMSeal(
                plaintexts: plaintexts, associatedData: Array("aad".utf8), rekeyEachSeal: rekey)
            #expect(result.items == plaintexts.count)
            #expect(result.bytes == plaintexts.reduce(0) { $0 + $1.count })
            #expect(result.bytesPerSecond > 0)
        }
        #expect(try Ceilings.aes256GCMSeal(plaintexts: []).items == 0)
    }
}
