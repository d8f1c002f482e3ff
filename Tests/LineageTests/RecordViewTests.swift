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

    /// A version-2 record: version 1's layout with 0x02 first and R ‖ resolution section after it.
    static func version2(_ record: EventRecord, resolution: [UInt8]) -> [UInt8] {
        var bytes = record.encoded()
        bytes[0] = 2
        return bytes + BigEndian.bytes(UInt32(resolution.count)) + resolution
    }

    @Test("a version-1 record: recorded-at, event and sealed section as EventRecord decodes them")
    func versionOne() throws {
        for count in [0, 1, 3] {
            let sealed = SealedValue.encode(try Self.sealedValues(count))
            for event in [Self.event, []] {
                let record = EventRecord(recordedAt: -1_234_567, canonicalEvent: event, sealed: sealed)
                let bytes = record.encoded()
                let decoded = try #require(EventRecord(decoding: bytes))
                try bytes.withUnsafeBytes { raw in
                    let view = try #require(RecordView(raw))
                    #expect(view.version == 1)
                    #expect(view.recordedAt == decoded.recordedAt)
                    #expect(Array(view.canonicalEvent) == decoded.canonicalEvent)
                    #expect(Array(view.sealed) == decoded.sealed)
                    #expect(view.resolution == nil)
                }
            }
        }
    }

    @Test("a version-2 record: the sealed section found by the lengths, the resolution section after it")
    func versionTwo() throws {
        let values = try Self.sealedValues(2)
        let record = EventRecord(
            recordedAt: 1_767_322_245_000_000, canonicalEvent: Self.event, sealed: SealedValue.encode(values))
        for resolution in [[], [1, 2, 3], [UInt8](repeating: 9, count: 300)] {
            let bytes = Self.version2(record, resolution: resolution)
            try bytes.withUnsafeBytes { raw in
                let view = try #require(RecordView(raw))
                #expect(view.version == 2)
                #expect(view.recordedAt == record.recordedAt)
                #expect(Array(view.canonicalEvent) == record.canonicalEvent)
                #expect(Array(view.sealed) == record.sealed)
                #expect(view.resolution.map(Array.init) == resolution)
                let section = try #require(SealedSectionView(view.sealed))
                #expect(section.count == 2)
                for (index, value) in values.enumerated() {
                    let found = try #require(section.value(at: index))
                    #expect(Array(found.keyID) == value.keyID)
                    #expect(Array(found.box) == value.box.combined)
                }
            }
        }
    }

    @Test("a truncated, extended or unknown-version record is refused, never read past its end")
    func damageIsRefused() throws {
        let record = EventRecord(
            recordedAt: 5, canonicalEvent: Self.event, sealed: SealedValue.encode(try Self.sealedValues(2)))
        let one = record.encoded()
        let two = Self.version2(record, resolution: [7, 7])
        for bytes in [one, two] {
            for length in 0..<bytes.count {
                let prefix = Array(bytes.prefix(length))
                prefix.withUnsafeBytes { #expect(RecordView($0) == nil, "length \(length)") }
            }
            (bytes + [0]).withUnsafeBytes { #expect(RecordView($0) == nil) }
            for version: UInt8 in [0, 3, 0xff] {
                var other = bytes
                other[0] = version
                other.withUnsafeBytes { #expect(RecordView($0) == nil) }
            }
        }
        // A version-1 record marked 2 lacks its resolution length; a version-2 one marked 1 has extra bytes.
        var marked = one
        marked[0] = 2
        marked.withUnsafeBytes { #expect(RecordView($0) == nil) }
        var unmarked = two
        unmarked[0] = 1
        unmarked.withUnsafeBytes { #expect(RecordView($0) == nil) }
        // A length that runs past the end is refused whatever its size.
        var huge = one
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
