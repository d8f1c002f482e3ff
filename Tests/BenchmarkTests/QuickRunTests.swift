import Foundation
import Testing

/// The built executables next to this test bundle (SwiftPM puts them all in `.build/<configuration>/`).
private func builtExecutable(_ name: String) -> String? {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<6 {
        let candidate = directory.appendingPathComponent(name).path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
            FileManager.default.isExecutableFile(atPath: candidate)
        {
            return candidate
        }
        directory.deleteLastPathComponent()
    }
    return nil
}

/// Runs `executable` with `arguments` to its end; its exit status and what it wrote to standard
/// output and error (through files, so that neither can fill a pipe and stall it).
private func run(_ executable: String, _ arguments: [String], in scratch: ScratchDirectory) throws -> (
    status: Int32, output: String, errors: String
) {
    let name = UUID().uuidString
    _ = FileManager.default.createFile(atPath: scratch.child(name + ".out"), contents: nil)
    _ = FileManager.default.createFile(atPath: scratch.child(name + ".err"), contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle(forWritingAtPath: scratch.child(name + ".out"))
    process.standardError = FileHandle(forWritingAtPath: scratch.child(name + ".err"))
    try process.run()
    process.waitUntilExit()
    return (
        process.terminationStatus, try String(contentsOfFile: scratch.child(name + ".out"), encoding: .utf8),
        try String(contentsOfFile: scratch.child(name + ".err"), encoding: .utf8)
    )
}

/// The benchmark's quick mode, run as `tools/bench --quick` would run it, so that the benchmark and the
/// generator never rot. It asserts that every figure is produced and sane, nothing about speed.
@Suite("The benchmark's quick mode")
struct QuickRunTests {
    @Test("lineage-bench --quick measures every figure against its ceiling and writes the JSON report")
    func quickRunProducesEveryFigure() throws {
        let bench = try #require(builtExecutable("lineage-bench"), "lineage-bench is not built")
        let lineage = try #require(builtExecutable("lineage"), "lineage is not built")
        let scratch = try ScratchDirectory()
        let json = scratch.child("report.json")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bench)
        process.arguments = ["--quick", "--work", scratch.child("work"), "--json", json, "--lineage", lineage]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let table = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "lineage-bench --quick failed:\n\(table)")

        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        let names = rows.compactMap { $0["name"] as? String }
        for expected in [
            "workload generator", "prepare alone (one thread)", "prepare alone, per event", "single append p50",
            "ceiling A single p50 (bare append)", "ceiling A-full single p50",
            "import, CLI (NDJSON file)", "import, library (NDJSON file)", "append, library (parsed events)",
            "ceiling A-full batched", "ceiling A batched (bare appends)", "ceiling B SHA-256 (RFC 6962 leaves)",
            "ceiling B AES-256-GCM (key per seal)",
        ] {
            #expect(names.contains(expected), "no row \(expected)")
        }
        for prefix in [
            "verify (", "verify --deep (", "rebuild (", "import peak RssAnon (", "disk per event (", "provenance p50 (",
            "provenance p99 (",
            "recipients p50 (", "recipients p99 (", "provenance, whole CLI process (", "import, CLI, streamed (",
        ] {
            #expect(names.contains { $0.hasPrefix(prefix) }, "no row starting \(prefix)")
        }
        for row in rows {
            let median = row["median"] as? Double ?? -1
            #expect(median > 0 && median.isFinite, "\(row["name"] ?? "?") has median \(median)")
            if let ceiling = row["ceilingMedian"] as? Double {
                #expect(ceiling > 0, "\(row["name"] ?? "?") has a ceiling of \(ceiling)")
                #expect(row["ratio"] is Double, "\(row["name"] ?? "?") has a ceiling but no ratio")
            }
            // Quick sizes are too small to judge a target by.
            #expect(row["met"] is NSNull, "\(row["name"] ?? "?") was judged in quick mode")
        }
        // The table printed is the same report: one line per row after the header and its rule.
        #expect(table.contains("ceiling A-full batched"))
        #expect(
            FileManager.default.fileExists(atPath: scratch.child("work")) == false, "the work directory was left behind"
        )
    }

    @Test("--query-ledger measures the queries on a ledger imported earlier, and names probes it lacks")
    func queriesOnAnExistingLedger() throws {
        let bench = try #require(builtExecutable("lineage-bench"), "lineage-bench is not built")
        let lineage = try #require(builtExecutable("lineage"), "lineage is not built")
        let workload = try #require(builtExecutable("lineage-workload"), "lineage-workload is not built")
        let scratch = try ScratchDirectory()
        let events = scratch.child("events.ndjson")
        let ledger = scratch.child("ledger")
        let probes = ["--probes", "10,40", "--probe-people", "2"]
        #expect(
            try run(workload, ["--events", "2000", "--seed", "3", "--out", events] + probes, in: scratch).status == 0)
        #expect(try run(lineage, ["init", "--ledger", ledger], in: scratch).status == 0)
        #expect(try run(lineage, ["append", "--ledger", ledger, events], in: scratch).status == 0)

        let measured = try run(
            bench,
            [
                "--query-ledger", ledger, "--queries", "5", "--cli-queries", "1", "--lineage", lineage, "--work",
                scratch.child("work"),
            ] + probes, in: scratch)
        #expect(measured.status == 0, "lineage-bench --query-ledger failed: \(measured.errors)")
        for row in [
            "provenance p50 (10 events, existing 2k ledger)", "recipients p99 (40 events, existing 2k ledger)",
            "provenance, whole CLI process (40 events, existing 2k ledger)",
        ] {
            #expect(measured.output.contains(row), "no row \(row)")
        }
        #expect(!measured.output.contains("import"), "--query-ledger imported something")
        #expect(FileManager.default.fileExists(atPath: ledger + "/data.mdb"), "the existing ledger was removed")

        let wrong = try run(
            bench,
            ["--query-ledger", ledger, "--probes", "100", "--lineage", lineage, "--work", scratch.child("work")],
            in: scratch)
        #expect(wrong.status != 0)
        #expect(wrong.errors.contains("probe-100-1 has no events"), "unexpected error: \(wrong.errors)")
    }
}
