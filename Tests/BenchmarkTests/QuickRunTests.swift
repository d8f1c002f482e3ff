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
            "verify (", "verify --deep (", "rebuild (", "import peak RssAnon (", "disk per event (", "provenance p50 (", "provenance p99 (",
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
        #expect(FileManager.default.fileExists(atPath: scratch.child("work")) == false, "the work directory was left behind")
    }
}
