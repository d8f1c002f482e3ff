import Testing

@testable import Lineage

@Suite("Projection entries round-trip and refuse damage")
struct ProjectionEntryTests {
    static let eventID = EventID("0b6f3c1e-2d4a-4f5b-8c7d-9e0f1a2b3c4d")!

    static let provenance = ProvenanceEntry(
        caseID: nil, source: "dvv", legalBasis: "legal_obligation", purpose: "debt_collection",
        sourceReference: "ref-1", occurredAt: "2026-01-02T03:04:05+02:00", occurredMicros: -5, recordedAt: 42,
        eventID: eventID)

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
    }
}
