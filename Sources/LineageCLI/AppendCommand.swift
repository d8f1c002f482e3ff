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
        // The lines of the batches committed so far (none in an atomic run or a dry run, which
        // store all or nothing): how far an append that fails part-way got.
        var committed = 0
        var receiptsFailure: (any Error)?
        let summary: AppendSummary
        do {
            summary = try ledger.append(
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
                    committed = options.atomic || options.dryRun ? 0 : handled
                    if let receipts, !pendingReceipts.isEmpty, receiptsFailure == nil {
                        // FileHandle's write(_: Data) traps on an error (a full disk); this throws.
                        do { try receipts.write(contentsOf: Data(pendingReceipts)) } catch { receiptsFailure = error }
                        pendingReceipts.removeAll(keepingCapacity: true)
                    }
                })
        } catch {
            progress.finish()
            // Damage keeps its own exit code (Commands.main); anything else is told with how far it got.
            if (error as? LMDBError)?.isCorruption == true || error is LogError { throw error }
            throw AppendStopped(cause: error, committedLines: committed)
        }
        progress.finish()
        if let receiptsFailure {
            throw UnwrittenReceipts(
                path: arguments.options["--receipts"] ?? "", cause: receiptsFailure, summary: summary)
        }

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

/// An append that failed part-way, told with how much of the input it had handled: a night's
/// import stopped by a full disk is re-run as it was, and what it stored comes back as duplicates.
struct AppendStopped: Error, CustomStringConvertible {
    let cause: any Error
    let committedLines: Int

    var description: String {
        guard committedLines > 0 else { return "\(cause); nothing of the input was stored" }
        return "\(cause); the input's first \(committedLines) lines were handled before it "
            + "(stored, or found to be duplicates, or rejected as reported; the same input again "
            + "counts the stored ones as duplicates)"
    }
}

/// An append that went through while its receipts could not all be written.
struct UnwrittenReceipts: Error, CustomStringConvertible {
    let path: String
    let cause: any Error
    let summary: AppendSummary

    var description: String {
        "writing the receipts file \(path) failed: \(cause); the append went on all the same: "
            + "\(summary.appended) appended, \(summary.duplicates) duplicates, \(summary.rejected) rejected, "
            + "tree size \(summary.head.size)"
    }
}
