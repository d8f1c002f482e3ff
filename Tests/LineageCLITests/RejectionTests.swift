import Foundation
import Lineage
import Testing

/// One bad input line and what `append` must say about it.
private struct BadLine {
    let name: String
    let bytes: [UInt8]
    let rule: String
    /// The field the rejection names; nil for the whole line.
    let field: String?
    /// The field is a member name that may be data: the rejection names it without repeating it.
    var fieldHidden = false
    /// The id the rejection names: nil when the id is not a readable UUID.
    let id: String?
    /// For syntax errors the id has not been read: it may be reported as null or as the id.
    var idMayBeNull = false
    /// Strings that must never appear in any output.
    let secrets: [String]
}

@Suite("append rejects bad lines and never repeats their values")
struct RejectionTests {
    /// Bad lines, each with a fresh marker in its bad value (or, where the bad value cannot hold one,
    /// in a personal value of the same event). `party` is registered earlier in the file.
    private static func badLines(_ generator: inout SplitMix64, party: String) -> [BadLine] {
        func id() -> String { Fixtures.uuid(&generator) }
        /// A valid data.ingested payload whose one item is the name `value`.
        func valid(_ value: String, source: String = party, legalBasis: String = "legitimate_interests") -> String {
            #"{"source":"\#(source)","items":[{"field":"name","value":"\#(value)"}],"legalBasis":"\#(legalBasis)","purpose":"collection_of_overdue_claims"}"#
        }
        func payload(items: String, extra: String = "") -> String {
            #"{"source":"\#(party)","items":\#(items),"legalBasis":"contract","purpose":"identification_and_contact"\#(extra)}"#
        }
        func envelope(
            id: String, type: String = #""data.ingested""#, occurredAt: String? = #""2026-01-02T10:00:00Z""#,
            subject: String? = #""person-7""#, schemaVersion: String = "1", payload: String, extra: String = ""
        ) -> String {
            var members = [#""id":"\#(id)""#, #""type":\#(type)"#]
            if let occurredAt { members.append(#""occurredAt":\#(occurredAt)"#) }
            if let subject { members.append(#""subject":\#(subject)"#) }
            members.append(#""schemaVersion":\#(schemaVersion)"#)
            members.append(#""payload":\#(payload)"#)
            if !extra.isEmpty { members.append(extra) }
            return "{" + members.joined(separator: ",") + "}"
        }
        var lines: [BadLine] = []
        func addBytes(
            _ name: String, rule: String, field: String?, fieldHidden: Bool = false, id: String?,
            idMayBeNull: Bool = false, secrets extra: [String] = [], _ make: (String) -> [UInt8]
        ) {
            let marker = Fixtures.marker()
            var line = BadLine(
                name: name, bytes: make(marker), rule: rule, field: field, id: id, secrets: [marker] + extra)
            line.fieldHidden = fieldHidden
            line.idMayBeNull = idMayBeNull
            lines.append(line)
        }
        func add(
            _ name: String, rule: String, field: String?, fieldHidden: Bool = false, id: String?,
            idMayBeNull: Bool = false, secrets extra: [String] = [], _ make: (String) -> String
        ) {
            addBytes(
                name, rule: rule, field: field, fieldHidden: fieldHidden, id: id, idMayBeNull: idMayBeNull,
                secrets: extra
            ) { Array(make($0).utf8) }
        }

        // The envelope and the line (docs/FORMAT.md, section 3 of DESIGN.md).
        add("empty line", rule: "line.empty", field: nil, id: nil) { _ in "" }
        add("blank line", rule: "line.empty", field: nil, id: nil) { _ in "  \t " }
        let truncated = id()
        add("invalid JSON", rule: "json.invalid", field: nil, id: truncated, idMayBeNull: true) { marker in
            #"{"id":"\#(truncated)","type":"data.ingested","occurredAt":"2026-01-02T10:00:00Z","subject":"\#(marker)"#
        }
        let missing = id()
        add("no occurredAt", rule: "envelope.missing_field", field: "occurredAt", id: missing) { marker in
            envelope(id: missing, occurredAt: nil, payload: valid(marker))
        }
        add("id not a UUID", rule: "id.not_uuid", field: "id", id: nil) { marker in
            envelope(id: marker, payload: valid("Anna Virtanen"))
        }
        add("nil UUID", rule: "id.not_uuid", field: "id", id: nil) { marker in
            envelope(id: "00000000-0000-0000-0000-000000000000", payload: valid(marker))
        }
        let finnish = id()
        add(
            "Finnish identity code as subject", rule: "subject.personal_identity_code", field: "subject", id: finnish,
            secrets: ["131052-308T"]
        ) { marker in
            envelope(id: finnish, subject: #""131052-308T""#, payload: valid(marker))
        }
        let swedish = id().uppercased()
        add(
            "Swedish personnummer as subject", rule: "subject.personal_identity_code", field: "subject",
            id: swedish.lowercased(), secrets: ["811228-9874"]
        ) { marker in
            envelope(id: swedish, subject: #""811228-9874""#, payload: valid(marker))
        }
        let coordination = id()
        add(
            "Swedish samordningsnummer as subject", rule: "subject.personal_identity_code", field: "subject",
            id: coordination, secrets: ["811288-9871"]
        ) { marker in
            envelope(id: coordination, subject: #""811288-9871""#, payload: valid(marker))
        }
        let embedded = id()
        add(
            "identity code inside the subject", rule: "subject.personal_identity_code", field: "subject", id: embedded,
            secrets: ["131052-308T"]
        ) { marker in
            envelope(id: embedded, subject: #""fi:131052-308T""#, payload: valid(marker))
        }
        let duplicated = id()
        add("duplicate member name", rule: "json.duplicate_key", field: nil, id: duplicated, idMayBeNull: true) {
            marker in
            envelope(id: duplicated, payload: valid("Anna Virtanen"), extra: #""subject":"\#(marker)""#)
        }
        let notDate = id()
        add("occurredAt not RFC 3339", rule: "occurredAt.not_rfc3339", field: "occurredAt", id: notDate) { marker in
            envelope(id: notDate, occurredAt: #""02/01/2026 10:00 \#(marker)""#, payload: valid("Anna Virtanen"))
        }
        let noDay = id()
        add("occurredAt not a real date", rule: "occurredAt.not_rfc3339", field: "occurredAt", id: noDay) { marker in
            envelope(id: noDay, occurredAt: #""2026-02-30T10:00:00Z""#, payload: valid(marker))
        }
        let noZone = id()
        add("occurredAt without a time zone", rule: "occurredAt.not_rfc3339", field: "occurredAt", id: noZone) {
            marker in
            envelope(id: noZone, occurredAt: #""2026-01-02T10:00:00""#, payload: valid(marker))
        }
        let version = id()
        add("unsupported schemaVersion", rule: "schemaVersion.unsupported", field: "schemaVersion", id: version) {
            marker in
            envelope(id: version, schemaVersion: "2", payload: valid(marker))
        }
        let unknown = id()
        add(
            "unknown envelope member", rule: "envelope.unknown_field", field: nil, fieldHidden: true, id: unknown
        ) { marker in
            envelope(id: unknown, payload: valid("Anna Virtanen"), extra: #""\#(marker)":true"#)
        }
        let wrongType = id()
        add("payload not an object", rule: "envelope.wrong_type", field: "payload", id: wrongType) { marker in
            envelope(id: wrongType, payload: #""\#(marker)""#)
        }
        add("not an object", rule: "envelope.not_object", field: nil, id: nil) { marker in #"["\#(marker)"]"# }
        let long = id()
        add("longer than 1 MiB", rule: "line.too_long", field: nil, id: long, idMayBeNull: true) { marker in
            envelope(
                id: long, payload: valid(String(repeating: marker + " ", count: (1 << 20) / marker.utf8.count + 1)))
        }
        let notUTF8 = id()
        addBytes("a string that is not UTF-8", rule: "json.invalid_utf8", field: nil, id: notUTF8, idMayBeNull: true) {
            marker in
            let text = envelope(id: notUTF8, payload: valid(marker + "\u{1}"))
            // The control character (written as itself, so the line is also bad JSON) becomes invalid UTF-8.
            return Array(text.utf8).map { $0 == 0x01 ? 0xff : $0 }
        }
        let deep = id()
        add("nested too deep", rule: "json.too_deep", field: nil, id: deep, idMayBeNull: true) { marker in
            envelope(
                id: deep, payload: valid("Anna Virtanen"),
                extra: #""deep":"# + String(repeating: "[", count: 200) + #""\#(marker)""#
                    + String(repeating: "]", count: 200))
        }

        // The payload (docs/EVENTS.md).
        let unknownType = id()
        add("unknown event type", rule: "type.unknown", field: "type", id: unknownType) { marker in
            envelope(id: unknownType, type: #""data.deleted""#, payload: valid(marker))
        }
        let noSubject = id()
        add("data.ingested without a subject", rule: "subject.required", field: "subject", id: noSubject) { marker in
            envelope(id: noSubject, subject: nil, payload: valid(marker))
        }
        let notEmail = id()
        add("a value not of its field's type", rule: "field.wrong_type", field: "payload.items[0].value", id: notEmail)
        {
            marker in
            envelope(id: notEmail, payload: payload(items: #"[{"field":"email","value":"\#(marker) at example"}]"#))
        }
        let badCode = id()
        add(
            "an invalid identity code as a value", rule: "personal_identity_code.invalid",
            field: "payload.items[0].value", id: badCode, secrets: ["131052-308X"]
        ) { marker in
            envelope(
                id: badCode,
                payload: payload(
                    items:
                        #"[{"field":"personal_identity_code","value":"131052-308X"},{"field":"name","value":"\#(marker)"}]"#
                ))
        }
        let unknownField = id()
        add("a field not in the vocabulary", rule: "field.unknown", field: "payload.items[0].field", id: unknownField) {
            marker in
            envelope(id: unknownField, payload: payload(items: #"[{"field":"shoe_size","value":"\#(marker)"}]"#))
        }
        let special = id()
        add(
            "a special category of data", rule: "field.special_category", field: "payload.items[0].field", id: special
        ) { marker in
            envelope(id: special, payload: payload(items: #"[{"field":"health","value":"\#(marker)"}]"#))
        }
        let basis = id()
        add("an unknown legal basis", rule: "legal_basis.unknown", field: "payload.legalBasis", id: basis) { marker in
            envelope(id: basis, payload: valid(marker, legalBasis: "telepathy"))
        }
        let extraMember = id()
        add(
            "an unknown payload member", rule: "payload.unknown_field", field: nil, fieldHidden: true, id: extraMember
        ) { marker in
            envelope(
                id: extraMember,
                payload: payload(items: #"[{"field":"name","value":"Anna Virtanen"}]"#, extra: #","\#(marker)":1"#))
        }
        let unregistered = id()
        add(
            "a source that is not registered", rule: "party.not_registered", field: "payload.source", id: unregistered
        ) { marker in
            envelope(id: unregistered, payload: valid(marker, source: "unregistered-party"))
        }
        return lines
    }

    @Test("each bad line is reported on stderr as JSON, without its value, and never stored")
    func badLinesInsideAGoodFile() throws {
        try Sandbox.with { box in
            var generator = SplitMix64(seed: 0x5555)
            let good = Fixtures.events(count: 120, seed: 0x5556)
            guard case .string(let party)? = good[0].payload.first(where: { $0.0 == "party" })?.1 else {
                Issue.record("the first event registers no party")
                return
            }
            let bad = Self.badLines(&generator, party: party)
            try #require(good.count >= 3 * bad.count + 3)
            // good, good, bad, good, bad, … good: every bad line between good ones.
            var lines: [[UInt8]] = []
            var badAt: [Int: BadLine] = [:]
            var goodIDs: [String] = []
            var goodIndexOf: [Int] = []
            var goodIndex = 0
            func addGood(_ n: Int) {
                for _ in 0..<n {
                    lines.append(Array(good[goodIndex].line.utf8))
                    goodIDs.append(good[goodIndex].canonicalID)
                    goodIndexOf.append(goodIndex)
                    goodIndex += 1
                }
            }
            addGood(2)
            for line in bad {
                lines.append(line.bytes)
                badAt[lines.count] = line
                addGood(goodIndex % 2 == 0 ? 1 : 2)
            }
            let file = try box.write(bytes: lines, to: "mixed.ndjson")
            try box.initLedger()
            let result = try box.run(["append", "--receipts", box.path("receipts"), file])
            #expect(result.exitCode == 65, "\(result.summary)")
            let summary = AppendOutput(try result.json())
            #expect(summary.appended == goodIDs.count)
            #expect(summary.rejected == bad.count)
            #expect(summary.duplicates == 0)
            #expect(summary.treeSize == goodIDs.count, "only the good lines are stored")

            let rejections = try result.stderrJSONLines()
            #expect(rejections.count == bad.count, "one stderr line per bad line:\n\(result.stderr)")
            var reported: Set<Int> = []
            for rejection in rejections {
                #expect(
                    Set(rejection.keys) == ["line", "id", "field", "rule", "message"], "stderr line \(rejection)")
                guard let number = JSONHelp.int(rejection["line"]), let expected = badAt[number] else {
                    Issue.record("a rejection of a line that is not bad: \(rejection)")
                    continue
                }
                reported.insert(number)
                #expect(JSONHelp.string(rejection["rule"]) == expected.rule, "\(expected.name): \(rejection)")
                if let field = expected.field {
                    #expect(JSONHelp.string(rejection["field"]) == field, "\(expected.name): \(rejection)")
                } else if expected.fieldHidden {
                    #expect(JSONHelp.string(rejection["field"]) != nil, "\(expected.name): \(rejection)")
                } else {
                    #expect(JSONHelp.isNull(rejection["field"]), "\(expected.name): \(rejection)")
                }
                if let id = expected.id {
                    if expected.idMayBeNull {
                        #expect(
                            JSONHelp.isNull(rejection["id"]) || JSONHelp.string(rejection["id"]) == id,
                            "\(expected.name): \(rejection)")
                    } else {
                        #expect(JSONHelp.string(rejection["id"]) == id, "\(expected.name): \(rejection)")
                    }
                } else {
                    #expect(
                        JSONHelp.isNull(rejection["id"]), "\(expected.name): the id is unknown, so null: \(rejection)")
                }
                #expect(!(JSONHelp.string(rejection["message"]) ?? "").isEmpty, "\(expected.name): \(rejection)")
            }
            #expect(reported == Set(badAt.keys), "every bad line reported once, by its line number")

            // No value of a bad line anywhere in the output.
            let receiptsText = try String(contentsOfFile: box.path("receipts"), encoding: .utf8)
            for line in bad {
                for secret in line.secrets {
                    #expect(!result.stderr.contains(secret), "\(line.name): stderr repeats \(secret)")
                    #expect(!result.stdout.contains(secret), "\(line.name): stdout repeats \(secret)")
                    #expect(!receiptsText.contains(secret), "\(line.name): the receipts repeat \(secret)")
                }
            }

            // What is stored: exactly the good events, in order, and nothing of a bad line.
            let records = try storedRecords(ledger: box.ledger, count: goodIDs.count)
            var idsInLedger: [String] = []
            for (sequence, record) in records.enumerated() {
                for line in bad {
                    for secret in line.secrets where record.contains(subsequence: Array(secret.utf8)) {
                        Issue.record("record \(sequence) holds \(line.name)'s value")
                    }
                }
                let decoded = try #require(EventRecord(decoding: record))
                let event = try JSONHelp.object(String(decoding: decoded.canonicalEvent, as: UTF8.self))
                idsInLedger.append(JSONHelp.string(event["id"]) ?? "?")
                if sequence < goodIDs.count,
                    let problem = storedEventProblem(record, expected: good[goodIndexOf[sequence]])
                {
                    Issue.record("record \(sequence): \(problem)")
                }
            }
            #expect(idsInLedger == goodIDs)
            let verify = try box.run(["verify"])
            #expect(verify.exitCode == 0, "\(verify.summary)")
        }
    }

    @Test("--atomic: one bad line stores nothing; without it everything is stored")
    func atomicAllOrNothing() throws {
        try Sandbox.with { box in
            try box.initLedger()
            let base = Fixtures.events(count: 100, seed: 0x6666)
            let baseFile = try box.write(base.map(\.line), to: "base.ndjson")
            let baseRun = try box.run(["append", baseFile])
            #expect(baseRun.exitCode == 0, "\(baseRun.summary)")
            let before = try box.checkpoint()
            #expect(before.size == 100)

            // More than one internal batch (10,000 lines), the bad line in the last one.
            let fresh = Fixtures.events(count: 10_200, seed: 0x6667, rich: false)
            let marker = Fixtures.marker()
            var lines = fresh.map(\.line)
            let badLine = 10_150
            var generator = SplitMix64(seed: 0x6668)
            let badID = Fixtures.uuid(&generator)
            lines.insert(
                #"{"id":"\#(badID)","type":"data.ingested","occurredAt":"\#(marker)","schemaVersion":1,"payload":{}}"#,
                at: badLine - 1)
            let badFile = try box.write(lines, to: "with-bad.ndjson")
            let atomic = try box.run(["append", "--atomic", badFile])
            #expect(atomic.exitCode == 65, "\(atomic.summary)")
            let summaryObject = try atomic.json()
            let summary = AppendOutput(summaryObject)
            #expect(summary.appended == 0)
            #expect(summary.rejected == 1)
            #expect(summary.treeSize == before.size)
            #expect(summary.root == before.root)
            if let discarded = summaryObject["discarded"] { #expect(JSONHelp.int(discarded) == fresh.count) }
            let rejections = try atomic.stderrJSONLines()
            #expect(rejections.count == 1)
            #expect(JSONHelp.int(rejections.first?["line"]) == badLine)
            #expect(JSONHelp.string(rejections.first?["rule"]) == "occurredAt.not_rfc3339")
            #expect(!atomic.stderr.contains(marker) && !atomic.stdout.contains(marker))
            let after = try box.checkpoint()
            #expect(after.size == before.size)
            #expect(after.root == before.root)

            // The same file without the bad line: all of it, and none of it was there before.
            let goodFile = try box.write(fresh.map(\.line), to: "good.ndjson")
            let complete = try box.run(["append", "--atomic", goodFile])
            #expect(complete.exitCode == 0, "\(complete.summary)")
            let completed = AppendOutput(try complete.json())
            #expect(completed.appended == fresh.count)
            #expect(completed.duplicates == 0, "events of the failed atomic run were stored")
            #expect(completed.rejected == 0)
            #expect(completed.treeSize == before.size + fresh.count)
            let verify = try box.run(["verify"])
            #expect(verify.exitCode == 0, "\(verify.summary)")
        }
    }
}
