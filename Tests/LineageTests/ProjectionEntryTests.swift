import Testing

@testable import Lineage

@Suite("Projection entries round-trip and refuse damage")
struct ProjectionEntryTests {
    static let eventID = EventID("0b6f3c1e-2d4a-4f5b-8c7d-9e0f1a2b3c4d")!

    /// A sealed value's shape: a key id, then nonce (12) ‖ ciphertext (here 5 bytes) ‖ tag (16).
    static let sealed = SealedValue(keyID: Array(0..<16), combined: Array(100..<133))

    static let provenance = ProvenanceEntry(
        caseID: nil, source: "dvv", legalBasis: "legal_obligation", purpose: "debt_collection",
        sourceReference: "ref-1", occurredAt: "2026-01-02T03:04:05+02:00", occurredMicros: -5, recordedAt: 42,
        eventID: eventID, sealed: sealed)

    static let disclosure = DisclosureEntry(
        caseID: "case-ä", recipient: "agent-us", legalBasis: "legitimate_interests", purpose: "debt_collection",
        channel: "api", safeguard: Safeguard(type: "scc", reference: "SCC-2021"),
        occurredAt: "2026-01-02T03:04:05Z", occurredMicros: 1_767_322_245_000_000, recordedAt: 7, eventID: eventID,
        versions: [.init(field: "address", sequence: 3, item: 0), .init(field: "phone", sequence: 9, item: 300)])

    @Test("every field survives encoding, absent ones included")
    func roundTrip() {
        #expect(ProvenanceEntry(decoding: Self.provenance.encoded()) == Self.provenance)
        #expect(DisclosureEntry(decoding: Self.disclosure.encoded()) == Self.disclosure)
        #expect(ProvenanceEntry.caseID(in: Self.provenance.encoded()) == .some(nil))
    }

    @Test("a truncated or extended entry is refused, never read past its end")
    func damageIsRefused() {
        let provenance = Self.provenance.encoded()
        let disclosure = Self.disclosure.encoded()
        for length in 0..<provenance.count {
            #expect(ProvenanceEntry(decoding: Array(provenance.prefix(length))) == nil)
        }
        for length in 0..<disclosure.count {
            #expect(DisclosureEntry(decoding: Array(disclosure.prefix(length))) == nil)
        }
        #expect(ProvenanceEntry(decoding: provenance + [0]) == nil)
        #expect(DisclosureEntry(decoding: disclosure + [0]) == nil)
        // A box too short to hold a nonce and a tag, whatever its length says.
        var short = ProvenanceEntry.eventFields(
            caseID: nil, source: "dvv", legalBasis: "b", purpose: "p", sourceReference: nil, occurredAt: "t",
            occurredMicros: 0, recordedAt: 0, eventID: Self.eventID)
        short.raw(Array(0..<16))
        short.uint32(27)
        short.raw(Array(repeating: 7, count: 27))
        #expect(ProvenanceEntry(decoding: short.bytes) == nil)
    }

    @Test("every field reads back from the stored bytes as it was given")
    func fieldsReadBack() throws {
        let provenance = try #require(ProvenanceEntry(decoding: Self.provenance.encoded()))
        #expect(provenance.caseID == nil)
        #expect(provenance.source == "dvv")
        #expect(provenance.legalBasis == "legal_obligation")
        #expect(provenance.purpose == "debt_collection")
        #expect(provenance.sourceReference == "ref-1")
        #expect(provenance.occurredAt == "2026-01-02T03:04:05+02:00")
        #expect(provenance.occurredMicros == -5)
        #expect(provenance.recordedAt == 42)
        #expect(provenance.eventID == Self.eventID)
        provenance.withSealed { keyID, box in
            #expect(Array(keyID) == Self.sealed.keyID)
            #expect(Array(box) == Self.sealed.combined)
        }
        #expect(provenance.range(of: .caseID) == nil)
        let source = try #require(provenance.range(of: .source))
        #expect(Array(provenance.bytes[source]) == Array("dvv".utf8))
        let disclosure = try #require(DisclosureEntry(decoding: Self.disclosure.encoded()))
        #expect(disclosure.caseID == "case-ä")
        #expect(disclosure.recipient == "agent-us")
        #expect(disclosure.legalBasis == "legitimate_interests")
        #expect(disclosure.purpose == "debt_collection")
        #expect(disclosure.channel == "api")
        #expect(disclosure.safeguard == Safeguard(type: "scc", reference: "SCC-2021"))
        #expect(disclosure.occurredAt == "2026-01-02T03:04:05Z")
        #expect(disclosure.occurredMicros == 1_767_322_245_000_000)
        #expect(disclosure.recordedAt == 7)
        #expect(disclosure.eventID == Self.eventID)
        #expect(
            disclosure.versions == [
                .init(field: "address", sequence: 3, item: 0), .init(field: "phone", sequence: 9, item: 300),
            ])
        // Absent optional fields, a safeguard with only one half, and no versions.
        let bare = DisclosureEntry(
            caseID: nil, recipient: "r", legalBasis: "b", purpose: "p", channel: "c", safeguard: nil, occurredAt: "t",
            occurredMicros: 0, recordedAt: 0, eventID: Self.eventID, versions: [])
        let read = try #require(DisclosureEntry(decoding: bare.encoded()))
        #expect(read.caseID == nil && read.safeguard == nil && read.versions.isEmpty)
        var writer = EntryWriter()
        for text in [nil, "r", "b", "p", "c", "scc", nil, "t"] as [String?] { writer.string(text) }
        writer.int64(0)
        writer.int64(0)
        writer.raw(Self.eventID.bytes)
        writer.uint64(0)
        #expect(try #require(DisclosureEntry(decoding: writer.bytes)).safeguard == nil)
        // A required string absent is refused.
        var missing = EntryWriter()
        for text in [nil, nil, "b", "p", nil, "t"] as [String?] { missing.string(text) }
        missing.int64(0)
        missing.int64(0)
        missing.raw(Self.eventID.bytes)
        ProvenanceEntry.append(Self.sealed, to: &missing)
        #expect(ProvenanceEntry(decoding: missing.bytes) == nil)
    }

    @Test("the encoding is what EntryWriter writes, field by field, as docs/FORMAT.md lists it")
    func encodingIsTheDocumentedOne() {
        var writer = EntryWriter()
        writer.string(nil)
        writer.string("dvv")
        writer.string("legal_obligation")
        writer.string("debt_collection")
        writer.string("ref-1")
        writer.string("2026-01-02T03:04:05+02:00")
        writer.int64(-5)
        writer.int64(42)
        writer.raw(Self.eventID.bytes)
        writer.raw(Array(0..<16))
        writer.raw([0, 0, 0, 33])
        writer.raw(Array(100..<133))
        #expect(Self.provenance.encoded() == writer.bytes)
        #expect(Array(Self.provenance.encoded().prefix(7)) == [0xff, 0xff, 0, 3] + Array("dvv".utf8))
    }

    @Test("the case id alone reads from a whole or truncated entry as the entry reader reads it")
    func caseIDAlone() {
        let withCase = ProvenanceEntry(
            caseID: "case-ä", source: "dvv", legalBasis: "b", purpose: "p", sourceReference: nil, occurredAt: "t",
            occurredMicros: 0, recordedAt: 0, eventID: Self.eventID, sealed: Self.sealed
        ).encoded()
        for bytes in [withCase, Self.provenance.encoded()] {
            for length in 0...bytes.count {
                let prefix = Array(bytes.prefix(length))
                var reader = EntryReader(prefix)
                #expect(ProvenanceEntry.caseID(in: prefix) == reader.string(), "length \(length)")
            }
        }
        #expect(ProvenanceEntry.caseID(in: withCase) == .some("case-ä"))
    }
}
