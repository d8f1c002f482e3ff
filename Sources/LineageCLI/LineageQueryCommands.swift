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
        Terminal.out(
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
            ]).text)
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
        Terminal.out(
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
            ]).text)
        return .ok
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
        let ledger = try context.open()
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
