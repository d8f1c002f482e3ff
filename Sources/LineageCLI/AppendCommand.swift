import Foundation
import Lineage

/// `lineage append`: reads NDJSON, prints the summary, reports rejections on stderr and receipts.
enum AppendCommand {
    static func run(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        var options = AppendOptions(
            atomic: arguments.flags.contains("--atomic"), dryRun: arguments.flags.contains("--dry-run"))
        if let batch = try arguments.uint("--batch-size") {
            guard batch > 0 else { throw UsageError("--batch-size must be at least 1") }
            options.batchSize = Int(batch)
        }
        let path = arguments.positionals.first ?? "-"
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY)
        guard fd >= 0 else { throw UsageError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { if fd != STDIN_FILENO { close(fd) } }

        var receipts: FileHandle?
        if let receiptsPath = arguments.options["--receipts"] {
            guard FileManager.default.createFile(atPath: receiptsPath, contents: nil),
                let handle = FileHandle(forWritingAtPath: receiptsPath)
            else { throw UsageError("cannot create the receipts file \(receiptsPath)") }
            receipts = handle
        }
        defer { try? receipts?.close() }

        let ledger = try context.open()
        let progress = ProgressLine(label: "lines")
        var pendingReceipts: [UInt8] = []
        let summary = try ledger.append(
            from: fd, options: options,
            onLine: { line in
                if case .rejected(let rejection) = line.outcome {
                    Terminal.err(rejectionLine(rejection, line: line.line, id: line.id).text)
                }
                if receipts != nil {
                    pendingReceipts += Array(receipt(line).text.utf8)
                    pendingReceipts.append(0x0a)
                }
            },
            progress: { handled in
                progress.update(handled)
                if let receipts, !pendingReceipts.isEmpty {
                    receipts.write(Data(pendingReceipts))
                    pendingReceipts.removeAll(keepingCapacity: true)
                }
            })
        progress.finish()

        var fields: [(String, OutputValue)] = [
            ("appended", .int(summary.appended)), ("duplicates", .int(summary.duplicates)),
            ("rejected", .int(summary.rejected)),
        ]
        if options.atomic { fields.append(("discarded", .int(summary.discarded))) }
        if options.dryRun {
            fields.append(("dryRun", .bool(true)))
            fields.append(("wouldAppend", .int(summary.wouldAppend)))
        }
        fields += [("treeSize", .uint(summary.head.size)), ("root", .string(summary.head.root.hex))]
        Terminal.out(OutputValue.object(fields).text)
        return summary.rejected > 0 ? .rejectedInput : .ok
    }

    static func rejectionLine(_ rejection: Rejection, line: Int, id: String?) -> OutputValue {
        .object([
            ("line", .int(line)), ("id", .optional(id ?? rejection.id)), ("field", .optional(rejection.field)),
            ("rule", .string(rejection.rule.rawValue)), ("message", .string(rejection.message)),
        ])
    }

    static func receipt(_ line: LineOutcome) -> OutputValue {
        var fields: [(String, OutputValue)] = [("line", .int(line.line)), ("id", .optional(line.id))]
        switch line.outcome {
        case .appended(let sequence): fields += [("status", .string("appended")), ("seq", .uint(sequence))]
        case .duplicate(let sequence): fields += [("status", .string("duplicate")), ("seq", .uint(sequence))]
        case .wouldAppend(let sequence): fields += [("status", .string("would_append")), ("seq", .uint(sequence))]
        case .discarded: fields += [("status", .string("discarded"))]
        case .rejected(let rejection):
            fields += [
                ("status", .string("rejected")), ("field", .optional(rejection.field)),
                ("rule", .string(rejection.rule.rawValue)), ("message", .string(rejection.message)),
            ]
        }
        return .object(fields)
    }
}
