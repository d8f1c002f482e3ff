import Foundation
import Testing

@testable import Lineage

/// The pieces of the query path that replace slower equivalents: each is checked against the
/// equivalent it replaces.
@Suite("The query path's shortcuts agree with what they replace")
struct QueryPathTests {
    @Test("associated data built in place is Vault.valueAssociatedData, byte for byte")
    func associatedData() throws {
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { buffer.deallocate() }
        let long = String(repeating: "f", count: 300)
        for (item, field) in [
            (0, "address"), (1, "name"), (300, "personal_identity_code"), (65_535, ""), (2, "ä"), (3, long),
        ] {
            let eventID = try #require(EventID(bytes: try SecureRandom.bytes(16)))
            let keyID = try SecureRandom.bytes(16)
            let length = eventID.bytes.withUnsafeBytes { id in
                keyID.withUnsafeBytes { key in
                    QueryContext.valueAssociatedData(into: &buffer, eventID: id, item: item, field: field, keyID: key)
                }
            }
            #expect(
                Array(buffer[..<length])
                    == Vault.valueAssociatedData(eventID: eventID, item: item, field: field, keyID: keyID))
        }
    }

    @Test("a wrapped key's associated data built in place is Vault.wrapAssociatedData, byte for byte")
    func wrapAssociatedData() throws {
        // Too small at first: the buffer grows.
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { buffer.deallocate() }
        for _ in 0..<3 {
            let keyID = try SecureRandom.bytes(16)
            let length = keyID.withUnsafeBytes { QueryContext.wrapAssociatedData(into: &buffer, keyID: $0) }
            #expect(Array(buffer[..<length]) == Vault.wrapAssociatedData(keyID: keyID))
        }
    }

    @Test("the vault's unit keys, key ids and wrapping associated data are the bytes docs/FORMAT.md gives")
    func vaultLayouts() {
        #expect(Vault.unit(subject: "p1", caseID: "c9", category: "contact") == Array("p1\u{0}c9\u{0}contact".utf8))
        #expect(Vault.unit(subject: "p1", caseID: nil, category: "contact") == Array("p1\u{0}\u{0}contact".utf8))
        let keyID = Vault.keyID(sequence: 0x0102_0304_0506_0708, item: 3)
        #expect(keyID == [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 3])
        #expect(Vault.wrapAssociatedData(keyID: keyID) == Array("lineage data key v1".utf8) + [0] + keyID)
    }

    @Test("an event id spelled from its two words is EventID.description")
    func uuidStrings() throws {
        for _ in 0..<50 {
            let id = try #require(EventID(bytes: try SecureRandom.bytes(16)))
            let words = id.bytes.withUnsafeBytes {
                (
                    $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                    $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                )
            }
            #expect(QueryContext.uuidString(words) == id.description)
        }
        let entry = ProvenanceEntry(decoding: ProjectionEntryTests.provenance.encoded())!
        #expect(QueryContext.uuidString(entry.eventIDWords) == ProjectionEntryTests.eventID.description)
    }

    @Test("the string table gives the string of the bytes, the same one for the same bytes, across growth")
    func stringTable() throws {
        var table = StringTable(capacity: 1)
        var made: [String: String] = [:]
        let texts =
            (0..<300).map { "a string longer than fifteen bytes \($0 % 120)" } + [
                "short", "", "ä-ö-å and more than fifteen",
            ]
        for text in texts {
            let string = Array(text.utf8).withUnsafeBytes { table.string($0) }
            #expect(string == text)
            if let earlier = made[text] {
                // The same storage: a retain, not another allocation.
                #expect(
                    string.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
                        == earlier.utf8.withContiguousStorageIfAvailable { $0.baseAddress } || text.utf8.count <= 15)
            }
            made[text] = string
        }
        // Invalid UTF-8 is repaired as String(decoding:as:) repairs it, and never stored.
        let invalid: [UInt8] = Array("sixteen bytes or more".utf8) + [0xff]
        #expect(invalid.withUnsafeBytes { table.string($0) } == String(decoding: invalid, as: UTF8.self))
        #expect(invalid.withUnsafeBytes { table.string($0) } == String(decoding: invalid, as: UTF8.self))
    }

    @Test("a word table finds what was stored, replaces, and keeps everything across growth")
    func wordTable() {
        var table = WordTable<Int>(capacity: 1)
        for index in 0..<1_000 { table.set(index, for: (UInt64(index) &* 0x9e37_79b9, UInt64(index % 7))) }
        for index in 0..<1_000 { #expect(table[(UInt64(index) &* 0x9e37_79b9, UInt64(index % 7))] == index) }
        #expect(table[(1, 1)] == nil)
        table.set(-1, for: (0, 0))
        #expect(table[(0, 0)] == -1)
        var optional = WordTable<Int?>()
        optional.set(nil, for: (5, 5))
        #expect(optional[(5, 5)] == .some(nil))
        #expect(optional[(5, 6)] == nil)
    }

    @Test("current flags in one pass equal Projections.isSuperseded over every later version")
    func currentFlags() {
        var rng = SystemRandomNumberGenerator()
        for length in 0..<40 {
            let versions = (0..<length).map { index in
                Projections.VersionRef(
                    sequence: UInt64(index), item: 0,
                    caseID: [nil, "case-1", "case-2", "case-3"].randomElement(using: &rng)!)
            }
            let expected = versions.indices.map { !Projections.isSuperseded(versions[$0], by: versions[($0 + 1)...]) }
            #expect(QueryContext.currentFlags(versions) == expected)
        }
    }

    @Test("a plaintext parses to what JSONParser gives, strings by the shortcut, the rest by the parser")
    func parseValue() throws {
        let values: [String] = [
            #""Vanha katu 1""#, #""Matti Meikäläinen""#, #""""#, #""a\"b""#, #""line\nbreak""#, #""back\\slash""#,
            #""\u0001""#, #""emoji 🙂""#, "12.5", "-3", "true", "false", "null", #"["a",1]"#, #"{"a":"b"}"#,
        ]
        for text in values {
            let bytes = Array(text.utf8)
            let parsed = try bytes.withUnsafeBytes { try QueryContext.parseValue($0) }
            #expect(parsed == (try JSONParser.parse(bytes)), "\(text)")
        }
        // What the parser refuses stays refused: invalid UTF-8, a raw control character, trailing bytes.
        for bad: [UInt8] in [[0x22, 0xff, 0x22], [0x22, 0x0a, 0x22], [0x22, 0x61, 0x22, 0x22], [0x22], []] {
            #expect(throws: (any Error).self) { try JSONParser.parse(bad) }
            #expect(throws: (any Error).self) { try bad.withUnsafeBytes { try QueryContext.parseValue($0) } }
        }
    }

    @Test("the word-at-a-time scan agrees with a byte loop, whatever the byte and wherever it is")
    func scan() {
        func naive(_ bytes: [UInt8]) -> (plain: Bool, ascii: Bool) {
            if bytes.contains(where: { $0 == 0x22 || $0 == 0x5c || $0 < 0x20 }) { return (false, false) }
            return (true, bytes.allSatisfy { $0 < 0x80 })
        }
        var rng = SystemRandomNumberGenerator()
        for length in 0..<40 {
            for special in [0x00, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff]
                as [UInt8]
            {
                for position in 0..<max(length, 1) {
                    var bytes = (0..<length).map { _ in UInt8.random(in: 0x20...0x7e, using: &rng) }
                    bytes = bytes.map { $0 == 0x22 || $0 == 0x5c ? 0x41 : $0 }
                    if position < length { bytes[position] = special }
                    let scanned = bytes.withUnsafeBytes { QueryContext.scan($0) }
                    #expect(scanned == naive(bytes), "\(bytes)")
                }
            }
        }
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0..<50, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(bytes.withUnsafeBytes { QueryContext.scan($0) } == naive(bytes))
        }
    }

    @Test("a destroyed data key shows its values as erased and leaves every other value readable")
    func erasedValues() throws {
        let (directory, ledger) = try ScenarioTests().load()
        defer { _ = directory }
        try ledger.environment.write { txn in
            let unit = Vault.unit(subject: "person-1", caseID: "case-1", category: "identification_contact")
            let units = try ledger.vault.units.view(in: txn)
            let keyID = try #require(try units.get(unit))
            #expect(try txn.delete(ledger.vault.keys, key: keyID))
        }
        let address = try #require(try ledger.provenance(subject: "person-1", field: "address").first)
        #expect(address.versions.map(\.value) == [nil, .string("Uusi katu 2")])
        #expect(address.versions.map(\.current) == [false, true])
        let name = try #require(try ledger.provenance(subject: "person-1", field: "name").first)
        #expect(name.versions.map(\.value) == [nil])
        let disclosures = try ledger.recipients(subject: "person-1", field: "address")
        #expect(
            disclosures.map { $0.fields.map(\.value) } == [[nil], [.string("Uusi katu 2")], [.string("Uusi katu 2")]])
        let all = try ledger.recipients(subject: "person-1")
        #expect(all.map { $0.fields.map(\.field) } == [["name", "address"], ["address"], ["name", "address"]])
        #expect(
            all.map { $0.fields.map(\.value) } == [
                [nil, nil], [.string("Uusi katu 2")], [nil, .string("Uusi katu 2")],
            ])
    }

    @Test("queries answer the same when repeated, for every field, and for a field or a person with nothing")
    func repeatedQueries() throws {
        let (directory, ledger) = try ScenarioTests().load()
        defer { _ = directory }
        func provenanceSummary() throws -> [String] {
            try ledger.provenance(subject: "person-1").flatMap { field in
                field.versions.map {
                    "\(field.field) \(field.category) \($0.value.map { "\($0)" } ?? "-") \($0.current)"
                }
            }
        }
        func recipientSummary() throws -> [String] {
            try ledger.recipients(subject: "person-1").map { disclosure in
                "\(disclosure.recipient) \(disclosure.recipientKind ?? "-") "
                    + disclosure.fields.map { "\($0.field)=\($0.value.map { "\($0)" } ?? "-")" }.joined(separator: ",")
            }
        }
        let provenance = try provenanceSummary()
        let recipients = try recipientSummary()
        #expect(provenance.count == 4)
        #expect(recipients.count == 3)
        for _ in 0..<3 {
            #expect(try provenanceSummary() == provenance)
            #expect(try recipientSummary() == recipients)
        }
        #expect(try ledger.provenance(subject: "person-1", field: "email").isEmpty)
        #expect(try ledger.provenance(subject: "nobody").isEmpty)
        #expect(try ledger.recipients(subject: "person-1", field: "email").isEmpty)
    }

    @Test("a registration appended after a query is shown by the next query (the party cache follows the log)")
    func partyCacheFollowsTheLog() throws {
        let (directory, ledger) = try ScenarioTests().load()
        defer { _ = directory }
        func kinds() throws -> [String?] {
            try ledger.provenance(subject: "person-1", field: "address").first?.versions.map(\.sourceKind) ?? []
        }
        #expect(try kinds() == ["client", "population_register"])
        #expect(
            try ledger.recipients(subject: "person-1", field: "address").map(\.recipientKind) == [
                "delivery_company", "processor", "foreign_agent",
            ])
        let line = ScenarioTests.event(
            20, "party.registered", "2026-01-15T00:00:00Z", subject: nil,
            #"{"party":"aurora","kind":"group_company","name":"Aurora Group","country":"FI"}"#)
        let preparer = try ledger.makePreparer()
        let (outcomes, _) = try ledger.append([preparer.prepare(Array(line.utf8)[...], line: 1)])
        guard case .appended = outcomes.first else {
            Issue.record("the registration was not appended: \(String(describing: outcomes.first))")
            return
        }
        #expect(try kinds() == ["group_company", "population_register"])
        #expect(try kinds() == ["group_company", "population_register"])
    }
}
