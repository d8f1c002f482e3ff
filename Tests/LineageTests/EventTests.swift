import Foundation
import Testing

@testable import Lineage

@Suite("Event envelope")
struct EventTests {
    static let good =
        #"{"id":"5b7e4f0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b","type":"case.opened","occurredAt":"2026-01-02T10:00:00Z","subject":"person-1","schemaVersion":1,"payload":{}}"#

    func event(_ text: String) throws(Rejection) -> Event {
        let value: JSONValue
        do { value = try JSONParser.parse(Array(text.utf8)) } catch {
            throw Rejection(field: nil, rule: .invalidJSON, message: "")
        }
        return try Event(validating: value)
    }

    func rejectionFor(replacing old: String, with new: String) -> Rejection? {
        let text = Self.good.replacingOccurrences(of: old, with: new)
        do {
            _ = try event(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func acceptsAWellFormedEnvelope() throws {
        let event = try event(Self.good)
        #expect(event.id.description == "5b7e4f0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
        #expect(event.subject == "person-1")
        #expect(event.occurredAt.microseconds == 1_767_348_000_000_000)
    }

    @Test func uppercaseIdsAndReorderedMembersHaveTheSameCanonicalForm() throws {
        let reordered =
            #"{ "payload": {}, "schemaVersion": 1, "subject": "person-1", "occurredAt": "2026-01-02T10:00:00Z", "type": "case.opened", "id": "5B7E4F0A-1C2D-4E5F-8A9B-0C1D2E3F4A5B" }"#
        #expect(try event(reordered).canonical == (try event(Self.good)).canonical)
    }

    @Test(
        "each envelope rule names its field and code",
        arguments: [
            (#""id":"5b7e4f0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b","#, "", "id", Rule.missingField),
            ("5b7e4f0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "not-a-uuid", "id", .idNotUUID),
            ("5b7e4f0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "00000000-0000-0000-0000-000000000000", "id", .idNotUUID),
            ("case.opened", "CaseOpened", "type", .typeInvalid),
            ("2026-01-02T10:00:00Z", "2026-02-30T10:00:00Z", "occurredAt", .occurredAtInvalid),
            ("2026-01-02T10:00:00Z", "2026-01-02 10:00:00", "occurredAt", .occurredAtInvalid),
            ("person-1", "131052-308T", "subject", .subjectPersonalIdentityCode),
            ("person-1", "19811228-9874", "subject", .subjectPersonalIdentityCode),
            (#""subject":"person-1""#, #""subject":"""#, "subject", .subjectEmpty),
            ("person-1", String(repeating: "x", count: 65), "subject", .subjectTooLong),
            (#""schemaVersion":1"#, #""schemaVersion":2"#, "schemaVersion", .schemaVersionUnsupported),
            (#""schemaVersion":1"#, #""schemaVersion":"1""#, "schemaVersion", .wrongType),
            (#""payload":{}"#, #""payload":[]"#, "payload", .wrongType),
            (#""payload":{}"#, #""payload":{},"extra":1"#, "extra", .unknownField),
        ])
    func rules(old: String, new: String, field: String, rule: Rule) throws {
        let rejection = try #require(rejectionFor(replacing: old, with: new))
        #expect(rejection.rule == rule)
        #expect(rejection.field == field)
    }

    @Test func rejectionMessagesNeverRepeatTheValue() throws {
        let marker = "131052-308T"
        let rejection = try #require(rejectionFor(replacing: "person-1", with: marker))
        #expect(!rejection.message.contains(marker))
        let unknown = try #require(rejectionFor(replacing: #""payload":{}"#, with: #""payload":{},"131052-308T":1"#))
        #expect(unknown.rule == .unknownField)
        #expect(!(unknown.field ?? "").contains(marker))
    }

    @Test func timestampsHonourOffsetsAndFractions() throws {
        let utc = try #require(Timestamp(rfc3339: "2026-01-02T10:00:00Z"))
        let helsinki = try #require(Timestamp(rfc3339: "2026-01-02T12:00:00+02:00"))
        #expect(utc.microseconds == helsinki.microseconds)
        #expect(Timestamp(rfc3339: "2026-01-02T10:00:00.25Z")?.microseconds == utc.microseconds + 250_000)
        #expect(Timestamp.format(microseconds: utc.microseconds + 250_000) == "2026-01-02T10:00:00.250000Z")
        #expect(Timestamp(rfc3339: "2024-02-29T00:00:00Z") != nil)
        #expect(Timestamp(rfc3339: "2025-02-29T00:00:00Z") == nil)
    }

    @Test func recordsRoundTrip() throws {
        let record = EventRecord(recordedAt: 1_767_348_000_123_456, canonicalEvent: Array("{}".utf8))
        let bytes = record.encoded()
        #expect(bytes.count == 21 + 2)
        #expect(bytes.first == 2)
        #expect(EventRecord(decoding: bytes) == record)
        #expect(EventRecord(decoding: Array(bytes.dropLast())) == nil)
        let resolved = Resolution(versions: [.init(sequence: 7, item: 1), .init(sequence: 1 << 40, item: 300)])
        let disclosure = EventRecord(
            recordedAt: 5, canonicalEvent: Array("{}".utf8), sealed: [], resolution: resolved.encoded())
        let disclosureBytes = disclosure.encoded()
        #expect(disclosureBytes.count == 21 + 2 + 4 + 2 * 10)
        #expect(EventRecord(decoding: disclosureBytes) == disclosure)
        #expect(Resolution(decoding: disclosure.resolution) == resolved)
        #expect(Resolution(decoding: Array(disclosure.resolution.dropLast())) == nil)
        // A record of the first format, which had no resolution section, is refused.
        var first = Array(bytes.dropLast(4))
        first[0] = 1
        #expect(EventRecord(decoding: first) == nil)
    }
}

@Suite("Vocabulary")
struct VocabularyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("the built-in vocabulary is exactly the files in schemas/vocabulary (run tools/embed-vocabulary)")
    func embeddedMatchesTheFiles() throws {
        for (name, embedded) in [
            ("fields", VocabularyData.fields), ("parties", VocabularyData.parties),
            ("purposes", VocabularyData.purposes),
            ("transfers", VocabularyData.transfers),
        ] {
            var file = try String(contentsOfFile: Self.root + "/schemas/vocabulary/\(name).json", encoding: .utf8)
            if file.hasSuffix("\n") { file.removeLast() }
            #expect(file == embedded, "schemas/vocabulary/\(name).json differs from the embedded copy")
        }
    }

    @Test func transfersFollowTheListInForceOnTheDay() throws {
        let vocabulary = Vocabulary.standard
        let day = { (text: String) in Day.parse(text)! }
        #expect(vocabulary.isInEEA("FI", day: day("2026-01-01")))
        #expect(vocabulary.isInEEA("GB", day: day("2020-06-01")))
        #expect(!vocabulary.isInEEA("GB", day: day("2021-06-01")))
        #expect(vocabulary.hasAdequacy("GB", certifications: [], day: day("2022-01-01")))
        #expect(!vocabulary.hasAdequacy("GB", certifications: [], day: day("2021-03-01")))
        #expect(!vocabulary.hasAdequacy("US", certifications: [], day: day("2024-01-01")))
        #expect(vocabulary.hasAdequacy("US", certifications: ["data_privacy_framework"], day: day("2024-01-01")))
        #expect(!vocabulary.hasAdequacy("US", certifications: ["data_privacy_framework"], day: day("2023-07-09")))
        #expect(vocabulary.hasAdequacy("US", certifications: ["privacy_shield"], day: day("2019-01-01")))
        #expect(!vocabulary.hasAdequacy("US", certifications: ["privacy_shield"], day: day("2020-07-17")))
        #expect(!vocabulary.hasAdequacy("IN", certifications: [], day: day("2026-01-01")))
        #expect(
            vocabulary.partyKinds["delivery_company"]?.allows(field: "address", category: "identification_contact")
                == true)
        #expect(
            vocabulary.partyKinds["delivery_company"]?.allows(field: "email", category: "identification_contact")
                == false)
        #expect(vocabulary.fields.values.filter(\.special).count == 6)
    }
}
