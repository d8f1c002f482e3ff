import Testing

@testable import Lineage
@testable import LineageCLI

/// `provenance` and `recipients` write their JSON straight into bytes; these tests hold them to the
/// ``OutputValue`` rendering they replaced, member for member, byte for byte.
@Suite("Query output written directly is the OutputValue rendering")
struct QueryOutputTests {
    static let values: [JSONValue?] = [
        .string("Vanha katu 1"), .string("quote \" backslash \\ newline \n tab \t \u{01} ä 🙂"), nil, .null,
        .bool(true), .number("-12.5e3"), .array([.string("a"), .number("1")]),
        .object(JSONObject([("b", .bool(false)), ("a", .string("x"))])!),
    ]

    static let fields: [FieldProvenance] = [
        FieldProvenance(
            field: "address", category: "identification_contact",
            versions: values.enumerated().map { index, value in
                ProvenanceVersion(
                    value: value, current: index % 2 == 0, caseID: index % 3 == 0 ? nil : "case-\(index)",
                    source: "source \"\(index)\"", sourceKind: index == 1 ? nil : "client",
                    legalBasis: "legitimate_interests", purpose: "collection_of_overdue_claims",
                    sourceReference: index == 2 ? nil : "INV-\(index)", occurredAt: "2026-01-05T08:15:07+02:00",
                    recordedAt: [0, 1_767_322_245_123_456, -1, 1_767_322_245_123_456][index % 4],
                    sequence: [0, 1, 9, 10, 99, 12_345, UInt64.max, 1 << 40][index],
                    eventID: "0b6f3c1e-2d4a-4f5b-8c7d-9e0f1a2b3c4d")
            }),
        FieldProvenance(field: "name", category: "", versions: []),
    ]

    static let disclosures: [RecipientDisclosure] = (0..<4).map { index in
        RecipientDisclosure(
            sequence: [7, 0, UInt64.max, 1_000_000][index], eventID: "29d8e3f8-e88e-4c44-a995-c349095f1044",
            recipient: "us-agent \\ \(index)", recipientKind: index == 0 ? nil : "foreign_agent",
            recipientCountry: index == 1 ? nil : "US", occurredAt: "2026-01-05T09:07:41Z",
            recordedAt: [5, 5, -86_400_000_001, 0][index], legalBasis: "legitimate_interests",
            purpose: "collection_of_overdue_claims", channel: "api", caseID: index == 2 ? nil : "case-ä",
            safeguard: index == 3 ? nil : Safeguard(type: "standard_contractual_clauses", reference: "SCC \"7\""),
            fields: index == 1
                ? []
                : values.enumerated().map { offset, value in
                    RecipientDisclosure.DisclosedField(
                        field: offset == 0 ? "address" : "field\(offset)", versionSequence: UInt64(offset * 3),
                        value: value)
                })
    }

    static func time(_ micros: Int64) -> OutputValue { .string(Timestamp.format(microseconds: micros)) }

    /// The rendering `provenance` printed before it wrote bytes directly.
    static func reference(subject: String, fields: [FieldProvenance]) -> String {
        OutputValue.object([
            ("subject", .string(subject)),
            (
                "fields",
                .array(
                    fields.map { field in
                        .object([
                            ("field", .string(field.field)), ("category", .string(field.category)),
                            (
                                "versions",
                                .array(
                                    field.versions.map { version in
                                        .object([
                                            ("value", version.value.map(OutputValue.json) ?? .null),
                                            ("current", .bool(version.current)),
                                            ("case", .optional(version.caseID)),
                                            ("source", .string(version.source)),
                                            ("sourceKind", .optional(version.sourceKind)),
                                            ("legalBasis", .string(version.legalBasis)),
                                            ("purpose", .string(version.purpose)),
                                            ("sourceReference", .optional(version.sourceReference)),
                                            ("occurredAt", .string(version.occurredAt)),
                                            ("recordedAt", time(version.recordedAt)),
                                            ("seq", .uint(version.sequence)),
                                            ("eventId", .string(version.eventID)),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
        ]).text
    }

    /// The rendering `recipients` printed before it wrote bytes directly.
    static func reference(subject: String, disclosures: [RecipientDisclosure]) -> String {
        OutputValue.object([
            ("subject", .string(subject)),
            (
                "disclosures",
                .array(
                    disclosures.map { disclosure in
                        .object([
                            ("seq", .uint(disclosure.sequence)), ("eventId", .string(disclosure.eventID)),
                            ("recipient", .string(disclosure.recipient)),
                            ("recipientKind", .optional(disclosure.recipientKind)),
                            ("recipientCountry", .optional(disclosure.recipientCountry)),
                            ("occurredAt", .string(disclosure.occurredAt)),
                            ("recordedAt", time(disclosure.recordedAt)),
                            ("legalBasis", .string(disclosure.legalBasis)),
                            ("purpose", .string(disclosure.purpose)),
                            ("channel", .string(disclosure.channel)), ("case", .optional(disclosure.caseID)),
                            (
                                "safeguard",
                                disclosure.safeguard.map {
                                    .object([("type", .string($0.type)), ("reference", .string($0.reference))])
                                } ?? .null
                            ),
                            (
                                "fields",
                                .array(
                                    disclosure.fields.map { field in
                                        .object([
                                            ("field", .string(field.field)),
                                            ("versionSeq", .uint(field.versionSequence)),
                                            ("value", field.value.map(OutputValue.json) ?? .null),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
        ]).text
    }

    @Test("provenance: every kind of value, absent optionals, escapes, extreme numbers, an empty field")
    func provenance() {
        for (subject, fields) in [("person-1", Self.fields), ("nobody \"x\"", [])] {
            let written = String(
                decoding: QueryCommands.provenanceJSON(subject: subject, fields: fields), as: UTF8.self)
            #expect(written == Self.reference(subject: subject, fields: fields))
        }
    }

    @Test("recipients: safeguards or none, kinds and countries or none, no fields, escapes")
    func recipients() {
        for (subject, disclosures) in [("person-1", Self.disclosures), ("nobody", [])] {
            let written = String(
                decoding: QueryCommands.recipientsJSON(subject: subject, disclosures: disclosures), as: UTF8.self)
            #expect(written == Self.reference(subject: subject, disclosures: disclosures))
        }
    }

    @Test("numbers are spelled as String(number) spells them")
    func numbers() {
        var rng = SystemRandomNumberGenerator()
        let numbers: [UInt64] =
            [0, 1, 9, 10, 11, 99, 100, 1_000_000, UInt64.max, UInt64.max - 1]
            + (0..<200).map { _ in rng.next() >> UInt64.random(in: 0..<64, using: &rng) }
        for number in numbers {
            var json = JSONWriter(capacity: 0)
            json.uint(number)
            #expect(String(decoding: json.bytes, as: UTF8.self) == String(number))
        }
    }

    @Test("instants are spelled as Timestamp.format spells them, inside and outside the fast range")
    func instants() {
        var rng = SystemRandomNumberGenerator()
        let day: Int64 = 86_400_000_000
        var instants: [Int64] = [
            0, 1, 999_999, 1_000_000, day - 1, day, 951_782_400_000_000, 951_868_799_999_999, 68_169_600_000_000,
            4_107_542_400_000_000, 1_767_322_245_123_456, 253_402_300_799_999_999, 253_402_300_800_000_000, -1,
            -day, -62_135_596_800_000_000, Int64.max / 2,
        ]
        instants += (0..<2_000).map { _ in Int64.random(in: 0..<253_402_300_800_000_000, using: &rng) }
        instants += (0..<200).map { _ in Int64.random(in: -62_135_596_800_000_000..<0, using: &rng) }
        for micros in instants {
            var json = JSONWriter(capacity: 0)
            json.time(micros)
            json.time(micros)
            let expected = "\"\(Timestamp.format(microseconds: micros))\""
            #expect(String(decoding: json.bytes, as: UTF8.self) == expected + expected, "\(micros)")
        }
    }
}
