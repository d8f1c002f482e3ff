import Foundation
import Lineage

// lineage-bench: measures the ledger against raw LMDB and OpenSSL on this machine, in one run, and
// prints one table (and, with --json, the same figures as JSON). See BenchmarkOptions for the flags.

// A generator thread writes into a FIFO; a reader that dies must surface as an error, not a signal.
signal(SIGPIPE, SIG_IGN)

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

let options: BenchmarkOptions
do {
    options = try BenchmarkOptions(arguments: Array(CommandLine.arguments.dropFirst()))
} catch let error as BenchmarkOptions.UsageError {
    if !error.description.isEmpty { printError("lineage-bench: \(error.description)") }
    printError(BenchmarkOptions.usage)
    exit(error.description.isEmpty ? 0 : 64)
}

guard FileManager.default.isExecutableFile(atPath: options.lineage) else {
    printError("lineage-bench: no lineage executable at \(options.lineage) (build it, or pass --lineage PATH)")
    exit(64)
}

let started = Date()
do {
    let workspace = try Workspace(root: options.workDirectory)
    defer { workspace.removeAll() }
    let run = BenchmarkRun(options: options, workspace: workspace, log: { printError($0) })
    if let existing = options.queryLedger {
        try run.queries(onExistingLedger: existing)
    } else {
        let workload = try run.generateWorkload()
        if options.runs("import") { try run.prepareAlone(workload: workload.path) }
        if options.runs("singles") { try run.singleAppends(workload: workload.path) }
        if options.runs("import") || options.runs("verify") {
            let imported = try run.bulkImport(workload: workload)
            if options.runs("verify") {
                try run.verifyAndRebuild(
                    records: imported.records, ledger: imported.ledger,
                    label: "\(BenchmarkRun.sizeLabel(options.importEvents)) events")
            }
        }
        if options.runs("queries") { for size in options.ledgerSizes { try run.queryLedger(size: size) } }
    }

    let date = ISO8601DateFormatter().string(from: started)
    var machine = MachineDescription.current(date: date)
    if options.quick { machine.cpuModel += " (quick mode: sizes too small to judge)" }
    // Quick sizes measure that everything runs, not how fast: no target is judged on them.
    let rows =
        options.quick
        ? run.rows.map { row in
            var unjudged = row; unjudged.met = nil; return unjudged
        } : run.rows
    let report = BenchmarkReport(machine: machine, rows: rows)
    print(report.renderText())
    if let path = options.jsonPath {
        try report.json().write(to: URL(fileURLWithPath: path))
    }
    printError(String(format: "lineage-bench: done in %.0f s", Date().timeIntervalSince(started)))
} catch {
    printError("lineage-bench: \(error)")
    exit(1)
}
