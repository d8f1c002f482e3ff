import Foundation
import Lineage

/// `provenance`, `recipients`, `lookup` and `rebuild`: the questions the ledger answers.
enum QueryCommands {
    static func format(_ arguments: Arguments) throws -> String {
        let format = arguments.options["--format"] ?? "json"
        guard ["json", "text"].contains(format) else { throw UsageError("--format must be json or text") }
        return format
    }

    static func subject(_ arguments: Arguments) throws -> String {
        guard let subject = arguments.options["--subject"], !subject.isEmpty else {
            throw UsageError("this command needs --subject S")
        }
        return subject
    }

    static func time(_ micros: Int64) -> OutputValue { .string(Timestamp.format(microseconds: micros)) }

    static func valueText(_ value: JSONValue?) -> String {
        guard let value else { return "(erased)" }
        if case .string(let text) = value { return text }
        return String(decoding: CanonicalJSON.encode(value), as: UTF8.self)
    }

    static func provenance(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        let subject = try subject(arguments)
        let format = try format(arguments)
        let fields = try context.open().provenance(subject: subject, field: arguments.options["--field"])
        if format == "text" {
            var lines = ["Provenance of \(subject)"]
            for field in fields {
                lines.append("\n\(field.field) (\(field.category))")
                for version in field.versions {
                    lines.append(
                        "  \(version.current ? "current   " : "superseded") \(valueText(version.value))"
                            + "\n      from \(version.source)\(version.sourceKind.map { " (\($0))" } ?? "") on \(version.occurredAt)"
                            + "\(version.caseID.map { ", case \($0)" } ?? ""), \(version.legalBasis), \(version.purpose)"
                            + "\(version.sourceReference.map { ", their ref \($0)" } ?? ""), seq \(version.sequence)")
                }
            }
            Terminal.out(lines.joined(separator: "\n"))
            return .ok
        }
        write(provenanceJSON(subject: subject, fields: fields))
        return .ok
    }

    static func recipients(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        let subject = try subject(arguments)
        let format = try format(arguments)
        let disclosures = try context.open().recipients(subject: subject, field: arguments.options["--field"])
        if format == "text" {
            var lines = ["Recipients of data about \(subject)"]
            for disclosure in disclosures {
                lines.append(
                    "\n\(disclosure.occurredAt) to \(disclosure.recipient)"
                        + "\(disclosure.recipientKind.map { " (\($0), \(disclosure.recipientCountry ?? "?"))" } ?? "")"
                        + " by \(disclosure.channel)\(disclosure.caseID.map { ", case \($0)" } ?? ""): \(disclosure.legalBasis), \(disclosure.purpose)"
                        + "\(disclosure.safeguard.map { ", safeguard \($0.type) \($0.reference)" } ?? ""), seq \(disclosure.sequence)"
                )
                for field in disclosure.fields {
                    lines.append(
                        "  \(field.field): \(valueText(field.value)) (version of seq \(field.versionSequence))")
                }
            }
            Terminal.out(lines.joined(separator: "\n"))
            return .ok
        }
        write(recipientsJSON(subject: subject, disclosures: disclosures))
        return .ok
    }

    /// `provenance`'s JSON: {"subject","fields":[{"field","category","versions":[…]}]}, each version
    /// {"value","current","case","source","sourceKind","legalBasis","purpose","sourceReference",
    /// "occurredAt","recordedAt","seq","eventId"} (schemas/outputs/provenance.json).
    static func provenanceJSON(subject: String, fields: [FieldProvenance]) -> [UInt8] {
        var json = JSONWriter(capacity: 512 + fields.reduce(0) { $0 + $1.versions.count * 400 })
        json.literal(#"{"subject":"#)
        json.string(subject)
        json.literal(#","fields":["#)
        for (fieldIndex, field) in fields.enumerated() {
            if fieldIndex > 0 { json.literal(",") }
            json.literal(#"{"field":"#)
            json.string(field.field)
            json.literal(#","category":"#)
            json.string(field.category)
            json.literal(#","versions":["#)
            for (index, version) in field.versions.enumerated() {
                if index > 0 { json.literal(",") }
                json.literal(#"{"value":"#)
                json.value(version.value)
                json.literal(#","current":"#)
                json.bool(version.current)
                json.literal(#","case":"#)
                json.optional(version.caseID)
                json.literal(#","source":"#)
                json.string(version.source)
                json.literal(#","sourceKind":"#)
                json.optional(version.sourceKind)
                json.literal(#","legalBasis":"#)
                json.string(version.legalBasis)
                json.literal(#","purpose":"#)
                json.string(version.purpose)
                json.literal(#","sourceReference":"#)
                json.optional(version.sourceReference)
                json.literal(#","occurredAt":"#)
                json.string(version.occurredAt)
                json.literal(#","recordedAt":"#)
                json.time(version.recordedAt)
                json.literal(#","seq":"#)
                json.uint(version.sequence)
                json.literal(#","eventId":"#)
                json.string(version.eventID)
                json.literal("}")
            }
            json.literal("]}")
        }
        json.literal("]}")
        return json.bytes
    }

    /// `recipients`' JSON: {"subject","disclosures":[…]}, each disclosure {"seq","eventId",
    /// "recipient","recipientKind","recipientCountry","occurredAt","recordedAt","legalBasis","purpose",
    /// "channel","case","safeguard":{"type","reference"}|null,"fields":[{"field","versionSeq","value"}]}
    /// (schemas/outputs/recipients.json).
    static func recipientsJSON(subject: String, disclosures: [RecipientDisclosure]) -> [UInt8] {
        var json = JSONWriter(capacity: 512 + disclosures.reduce(0) { $0 + 500 + $1.fields.count * 120 })
        json.literal(#"{"subject":"#)
        json.string(subject)
        json.literal(#","disclosures":["#)
        for (index, disclosure) in disclosures.enumerated() {
            if index > 0 { json.literal(",") }
            json.literal(#"{"seq":"#)
            json.uint(disclosure.sequence)
            json.literal(#","eventId":"#)
            json.string(disclosure.eventID)
            json.literal(#","recipient":"#)
            json.string(disclosure.recipient)
            json.literal(#","recipientKind":"#)
            json.optional(disclosure.recipientKind)
            json.literal(#","recipientCountry":"#)
            json.optional(disclosure.recipientCountry)
            json.literal(#","occurredAt":"#)
            json.string(disclosure.occurredAt)
            json.literal(#","recordedAt":"#)
            json.time(disclosure.recordedAt)
            json.literal(#","legalBasis":"#)
            json.string(disclosure.legalBasis)
            json.literal(#","purpose":"#)
            json.string(disclosure.purpose)
            json.literal(#","channel":"#)
            json.string(disclosure.channel)
            json.literal(#","case":"#)
            json.optional(disclosure.caseID)
            json.literal(#","safeguard":"#)
            if let safeguard = disclosure.safeguard {
                json.literal(#"{"type":"#)
                json.string(safeguard.type)
                json.literal(#","reference":"#)
                json.string(safeguard.reference)
                json.literal("}")
            } else {
                json.literal("null")
            }
            json.literal(#","fields":["#)
            for (fieldIndex, field) in disclosure.fields.enumerated() {
                if fieldIndex > 0 { json.literal(",") }
                json.literal(#"{"field":"#)
                json.string(field.field)
                json.literal(#","versionSeq":"#)
                json.uint(field.versionSequence)
                json.literal(#","value":"#)
                json.value(field.value)
                json.literal("}")
            }
            json.literal("]}")
        }
        json.literal("]}")
        return json.bytes
    }

    /// Writes an answer and a newline to stdout, as ``Terminal/out(_:)`` writes a line.
    static func write(_ bytes: [UInt8]) {
        var line = bytes
        line.append(UInt8(ascii: "\n"))
        Terminal.out(bytes: line)
    }

    static func lookup(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        guard var code = arguments.options["--personal-id"] else {
            throw UsageError("lookup needs --personal-id X (or - for stdin)")
        }
        if code == "-" {
            // Read from stdin, so the code never shows in a process list.
            code = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let subjects = try context.open().lookup(personalIdentityCode: code)
        Terminal.out(OutputValue.object([("subjects", .array(subjects.map(OutputValue.string)))]).text)
        return .ok
    }

    static func rebuild(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        // A ledger whose projections are of an earlier format opens only for this.
        let ledger = try context.open(forRebuild: true)
        let progress = ProgressLine(label: "replayed")
        let count = try ledger.rebuildProjections { progress.update(Int($0)) }
        progress.finish()
        Terminal.out(
            OutputValue.object([
                ("replayed", .uint(count)),
                ("projections", .array(ledger.projectionDatabases.map { .string($0.name) })),
            ]).text)
        return .ok
    }
}
