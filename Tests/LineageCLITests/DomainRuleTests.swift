import Foundation
import Testing

/// Every rule of docs/EVENTS.md through the built binary: the rejection line names its line, id,
/// field and rule; the exit code is 65; the tree does not grow; the offending value (a marker) is
/// never printed.
@Suite("Domain rules through the CLI")
struct DomainRuleTests {
    static func event(_ n: Int, _ type: String, _ at: String, subject: String? = "person-1", _ payload: String)
        -> String
    {
        let subjectMember = subject.map { #""subject":"\#($0)","# } ?? ""
        return
            #"{"id":"\#(String(format: "00000000-0000-4000-8000-%012d", n))","type":"\#(type)","occurredAt":"\#(at)",\#(subjectMember)"schemaVersion":1,"payload":\#(payload)}"#
    }

    static func party(_ n: Int, _ id: String, _ kind: String, _ country: String, at: String = "2026-01-01T00:00:00Z")
        -> String
    {
        event(
            n, "party.registered", at, subject: nil,
            #"{"party":"\#(id)","kind":"\#(kind)","name":"\#(id) Ltd","country":"\#(country)"}"#)
    }

    static func ingest(
        _ n: Int, source: String = "aurora", items: String, at: String = "2026-02-01T09:00:00Z", extra: String = ""
    ) -> String {
        event(
            n, "data.ingested", at,
            #"{"case":"case-1","source":"\#(source)","items":\#(items),"legalBasis":"legitimate_interests","purpose":"collection_of_overdue_claims"\#(extra)}"#
        )
    }

    static func disclose(_ n: Int, recipient: String, fields: String, extra: String = "") -> String {
        event(
            n, "data.disclosed", "2026-02-05T09:00:00Z",
            #"{"case":"case-1","recipient":"\#(recipient)","fields":\#(fields),"legalBasis":"legitimate_interests","purpose":"collection_of_overdue_claims","channel":"letter"\#(extra)}"#
        )
    }

    static let base: [String] = [
        party(1, "aurora", "client", "FI"),
        party(2, "posti", "delivery_company", "FI"),
        party(3, "us-agent", "foreign_agent", "US"),
        party(4, "the-person", "data_subject", "FI"),
        party(5, "late-registered", "processor", "FI", at: "2026-06-01T00:00:00Z"),
        event(6, "case.opened", "2026-02-01T08:00:00Z", #"{"case":"case-1","client":"aurora"}"#),
        ingest(7, items: #"[{"field":"name","value":"Maija Virtanen"},{"field":"claim_amount","value":"99.90"}]"#),
    ]

    /// Loads the base, appends `line` alone, and checks the rejection.
    func expectRejected(
        _ line: String, rule: String, field: String?, marker: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try Sandbox.with { sandbox in
            try sandbox.initLedger()
            let loaded = try sandbox.run(["append", try sandbox.write(Self.base, to: "base.ndjson")])
            try #require(loaded.exitCode == 0, "\(loaded.summary)", sourceLocation: sourceLocation)
            let before = try sandbox.checkpoint(sourceLocation: sourceLocation)
            let result = try sandbox.run(["append", try sandbox.write(["", line], to: "bad.ndjson")])
            #expect(result.exitCode == 65, "\(result.summary)", sourceLocation: sourceLocation)
            let rejections = try result.stderrJSONLines(sourceLocation: sourceLocation).filter {
                JSONHelp.int($0["line"]) == 2
            }
            let rejection = try #require(
                rejections.first, "no rejection for line 2: \(result.summary)", sourceLocation: sourceLocation)
            #expect(JSONHelp.string(rejection["rule"]) == rule, "\(result.summary)", sourceLocation: sourceLocation)
            if let field {
                #expect(
                    JSONHelp.string(rejection["field"]) == field, "\(result.summary)", sourceLocation: sourceLocation)
            }
            #expect(
                JSONHelp.string(rejection["id"])?.hasPrefix("00000000-0000-4000-8000-") == true,
                sourceLocation: sourceLocation)
            #expect(
                !result.stderr.contains(marker), "stderr repeats the offending value", sourceLocation: sourceLocation)
            #expect(!result.stdout.contains(marker), sourceLocation: sourceLocation)
            #expect(try sandbox.checkpoint(sourceLocation: sourceLocation) == before, sourceLocation: sourceLocation)
        }
    }

    @Test func unknownEventType() throws {
        try expectRejected(
            Self.event(20, "data.forgotten", "2026-02-02T00:00:00Z", #"{"note":"MARKER-type-1"}"#),
            rule: "type.unknown", field: "type", marker: "MARKER-type-1")
    }

    @Test func unregisteredParty() throws {
        try expectRejected(
            Self.ingest(20, source: "nobody", items: #"[{"field":"name","value":"MARKER-party-1"}]"#),
            rule: "party.not_registered", field: "payload.source", marker: "MARKER-party-1")
    }

    @Test func partyNotYetRegisteredAtTheEventsTime() throws {
        try expectRejected(
            Self.disclose(20, recipient: "late-registered", fields: #"["name"]"#, extra: #","case":"MARKER-case-9""#)
                .replacingOccurrences(of: #""case":"case-1","#, with: ""),
            rule: "party.not_registered", field: "payload.recipient", marker: "MARKER-never-printed")
    }

    @Test func unknownField() throws {
        try expectRejected(
            Self.ingest(20, items: #"[{"field":"shoe_size","value":"MARKER-field-1"}]"#),
            rule: "field.unknown", field: "payload.items[0].field", marker: "MARKER-field-1")
    }

    @Test func valueOfTheWrongType() throws {
        try expectRejected(
            Self.ingest(20, items: #"[{"field":"claim_amount","value":123456.789}]"#),
            rule: "field.wrong_type", field: "payload.items[0].value", marker: "123456.789")
    }

    @Test func specialCategoryRefused() throws {
        try expectRejected(
            Self.ingest(20, items: #"[{"field":"health","value":"MARKER-health-1"}]"#),
            rule: "field.special_category", field: "payload.items[0].field", marker: "MARKER-health-1")
    }

    @Test func socialForceMajeureOnlyFromThePerson() throws {
        try expectRejected(
            Self.ingest(
                20, items: #"[{"field":"social_force_majeure","value":"MARKER-sfm-1","socialForceMajeure":true}]"#),
            rule: "field.special_category", field: "payload.items[0].field", marker: "MARKER-sfm-1")
        try expectRejected(
            Self.ingest(21, source: "the-person", items: #"[{"field":"social_force_majeure","value":"MARKER-sfm-2"}]"#),
            rule: "field.special_category", field: "payload.items[0].field", marker: "MARKER-sfm-2")
        try Sandbox.with { sandbox in
            try sandbox.initLedger()
            let accepted = Self.ingest(
                21, source: "the-person",
                items: #"[{"field":"social_force_majeure","value":"Lost my job","socialForceMajeure":true}]"#)
            let result = try sandbox.run(["append", try sandbox.write(Self.base + [accepted], to: "all.ndjson")])
            #expect(result.exitCode == 0, "\(result.summary)")
        }
    }

    @Test func missingOrUnknownLegalBasisAndPurpose() throws {
        try expectRejected(
            Self.ingest(20, items: #"[{"field":"name","value":"MARKER-basis-1"}]"#)
                .replacingOccurrences(of: #""legalBasis":"legitimate_interests","#, with: ""),
            rule: "payload.missing_field", field: "payload.legalBasis", marker: "MARKER-basis-1")
        try expectRejected(
            Self.ingest(20, items: #"[{"field":"name","value":"MARKER-basis-2"}]"#)
                .replacingOccurrences(of: "legitimate_interests", with: "because_we_can"),
            rule: "legal_basis.unknown", field: "payload.legalBasis", marker: "MARKER-basis-2")
        try expectRejected(
            Self.ingest(20, items: #"[{"field":"name","value":"MARKER-purpose-1"}]"#)
                .replacingOccurrences(of: "collection_of_overdue_claims", with: "curiosity"),
            rule: "purpose.unknown", field: "payload.purpose", marker: "MARKER-purpose-1")
    }

    @Test(
        "invalid identity codes",
        arguments: ["131052-308U", "131052Z308T", "311352-308T", "811228-9875", "19811228-9875", "8113289874"])
    func invalidIdentityCodes(code: String) throws {
        try expectRejected(
            Self.ingest(20, items: #"[{"field":"personal_identity_code","value":"\#(code)"}]"#),
            rule: "personal_identity_code.invalid", field: "payload.items[0].value", marker: code)
    }

    @Test func disclosureOfAFieldWithNoLiveValue() throws {
        try expectRejected(
            Self.disclose(20, recipient: "posti", fields: #"["address"]"#),
            rule: "disclosure.no_live_value", field: "payload.fields[0]", marker: "Maija")
    }

    @Test func disclosureOutsideTheRecipientsCategories() throws {
        try expectRejected(
            Self.disclose(20, recipient: "posti", fields: #"["name","claim_amount"]"#),
            rule: "disclosure.category_not_allowed", field: "payload.fields[1]", marker: "99.90")
    }

    @Test func transferOutsideTheEEAWithoutSafeguard() throws {
        try expectRejected(
            Self.disclose(20, recipient: "us-agent", fields: #"["name"]"#),
            rule: "transfer.no_safeguard", field: "payload.safeguard", marker: "Maija")
        try Sandbox.with { sandbox in
            try sandbox.initLedger()
            let withSafeguard = Self.disclose(
                20, recipient: "us-agent", fields: #"["name"]"#,
                extra: #","safeguard":{"type":"standard_contractual_clauses","reference":"SCC-2021-914-1"}"#)
            let result = try sandbox.run(["append", try sandbox.write(Self.base + [withSafeguard], to: "all.ndjson")])
            #expect(result.exitCode == 0, "\(result.summary)")
        }
    }

    @Test func subjectRules() throws {
        try expectRejected(
            Self.event(
                20, "case.opened", "2026-02-02T00:00:00Z", subject: nil, #"{"case":"MARKER-subj-1","client":"aurora"}"#),
            rule: "subject.required", field: "subject", marker: "MARKER-never-printed")
    }
}
