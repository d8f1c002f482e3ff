import Testing

@testable import Lineage

@Suite("RecordView and SealedSectionView read what EventRecord and SealedValue read")
struct RecordViewTests {
    static let event = Array(
        #"{"id":"0b6f3c1e-2d4a-4f5b-8c7d-9e0f1a2b3c4d","occurredAt":"2026-01-02T03:04:05Z","payload":{},"schemaVersion":1,"subject":"p","type":"data.ingested"}"#
            .utf8)

    static func sealedValues(_ count: Int) throws -> [SealedValue] {
        try (0..<count).map { index in
            SealedValue(
                keyID: try SecureRandom.bytes(16),
                box: try AESGCM.seal(
                    Array("value \(index)".utf8), key: [UInt8](repeating: 3, count: 32), associatedData: []))
        }
    }

    @Test("a record: recorded-at, event, sealed and resolution sections as EventRecord decodes them")
    func sections() throws {
        for count in [0, 1, 3] {
            let values = try Self.sealedValues(count)
            for event in [Self.event, []] {
                for resolution in [[], [1, 2, 3], [UInt8](repeating: 9, count: 300)] {
                    let record = EventRecord(
                        recordedAt: -1_234_567, canonicalEvent: event, sealed: SealedValue.encode(values),
                        resolution: resolution)
                    let bytes = record.encoded()
                    let decoded = try #require(EventRecord(decoding: bytes))
                    try bytes.withUnsafeBytes { raw in
                        let view = try #require(RecordView(raw))
                        #expect(view.recordedAt == decoded.recordedAt)
                        #expect(Array(view.canonicalEvent) == decoded.canonicalEvent)
                        #expect(Array(view.sealed) == decoded.sealed)
                        #expect(Array(view.resolution) == decoded.resolution)
                        let section = try #require(SealedSectionView(view.sealed))
                        #expect(section.count == count)
                        for (index, value) in values.enumerated() {
                            let found = try #require(section.value(at: index))
                            #expect(Array(found.keyID) == value.keyID)
                            #expect(Array(found.box) == value.box.combined)
                        }
                    }
                }
            }
        }
    }

    @Test("a truncated, extended or unknown-version record is refused, never read past its end")
    func damageIsRefused() throws {
        let record = EventRecord(
            recordedAt: 5, canonicalEvent: Self.event, sealed: SealedValue.encode(try Self.sealedValues(2)),
            resolution: [7, 7])
        let bytes = record.encoded()
        for length in 0..<bytes.count {
            let prefix = Array(bytes.prefix(length))
            prefix.withUnsafeBytes { #expect(RecordView($0) == nil, "length \(length)") }
        }
        (bytes + [0]).withUnsafeBytes { #expect(RecordView($0) == nil) }
        for version: UInt8 in [0, 1, 3, 0xff] {
            var other = bytes
            other[0] = version
            other.withUnsafeBytes { #expect(RecordView($0) == nil) }
        }
        // The first format had no resolution section: its layout is refused however it is marked.
        let first = Array(bytes.dropLast(6))
        first.withUnsafeBytes { #expect(RecordView($0) == nil) }
        // A length that runs past the end is refused whatever its size.
        var huge = bytes
        huge.replaceSubrange(9..<13, with: [0xff, 0xff, 0xff, 0xff])
        huge.withUnsafeBytes { #expect(RecordView($0) == nil) }
    }

    @Test("a sealed section reads as SealedValue.decode reads it, and is refused where decode refuses it")
    func sealedSections() throws {
        for count in [0, 1, 2, 5] {
            let values = try Self.sealedValues(count)
            let encoded = SealedValue.encode(values)
            try encoded.withUnsafeBytes { raw in
                let section = try #require(SealedSectionView(raw))
                #expect(section.count == count)
                for (index, value) in values.enumerated() {
                    let found = try #require(section.value(at: index))
                    #expect(Array(found.keyID) == value.keyID)
                    #expect(SealedBox(combined: Array(found.box)) == value.box)
                }
                #expect(section.value(at: count) == nil)
                #expect(section.value(at: -1) == nil)
            }
            guard count > 0 else { continue }
            for length in 0..<encoded.count {
                let prefix = Array(encoded.prefix(length))
                let expected = SealedValue.decode(prefix) != nil
                prefix.withUnsafeBytes { #expect((SealedSectionView($0) != nil) == expected, "length \(length)") }
            }
            (encoded + [0]).withUnsafeBytes { #expect(SealedSectionView($0) == nil) }
        }
        // A box too short to hold a nonce and a tag.
        let short =
            BigEndian.bytes(UInt32(1)) + [UInt8](repeating: 1, count: 16) + BigEndian.bytes(UInt32(27))
            + [UInt8](repeating: 0, count: 27)
        #expect(SealedValue.decode(short) == nil)
        short.withUnsafeBytes { #expect(SealedSectionView($0) == nil) }
    }

    @Test("the event id comes from the canonical event's first member, or from parsing it")
    func eventIDs() throws {
        func id(of event: String) -> [UInt8]? {
            let record = EventRecord(recordedAt: 0, canonicalEvent: Array(event.utf8)).encoded()
            return record.withUnsafeBytes { raw -> [UInt8]? in
                guard let view = RecordView(raw) else { return nil }
                var out = [UInt8](repeating: 0, count: 16)
                return out.withUnsafeMutableBytes { view.eventID(into: $0) } ? out : nil
            }
        }
        let expected = EventID("0b6f3c1e-2d4a-4f5b-8c7d-9e0f1a2b3c4d")!.bytes
        #expect(id(of: String(decoding: Self.event, as: UTF8.self)) == expected)
        // Not the canonical spelling: the parser finds the id all the same.
        #expect(id(of: #"{"type":"x","id":"0B6F3C1E-2D4A-4F5B-8C7D-9E0F1A2B3C4D"}"#) == expected)
        #expect(id(of: #"{ "id" : "0b6f3c1e-2d4a-4f5b-8c7d-9e0f1a2b3c4d" }"#) == expected)
        #expect(id(of: #"{"id":"0b6f3c1e-2d4a-4f5b-8c7d-9e0f1a2b3c4d"}"#) == expected)
        for bad in [
            #"{"id":"0b6f3c1e-2d4a-4f5b-8c7d-9e0f1a2b3c4"}"#, #"{"id":"0b6f3c1e+2d4a-4f5b-8c7d-9e0f1a2b3c4d","a":1}"#,
            #"{"id":"0b6f3c1e-2d4a-4f5b-8c7d-9e0f1a2b3c4x","a":1}"#, #"{"other":1}"#, "not json", "",
        ] {
            #expect(id(of: bad) == nil, "\(bad)")
        }
    }
}
