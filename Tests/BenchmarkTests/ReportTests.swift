import Foundation
import Testing

@testable import Benchmark

@Suite("BenchmarkReport: table and JSON")
struct ReportTests {
    private func sampleReport() -> BenchmarkReport {
        let machine = MachineDescription(
            cpuModel: "Test CPU @ 2.0GHz", cores: 2, memoryKiB: 24_000_000, kernel: "Linux 6.1.0 #1 SMP",
            swiftVersion: "Swift 6.3", lmdbVersion: "LMDB 0.9.24: (July 24, 2019)",
            opensslVersion: "OpenSSL 3.0.19 27 Jan 2026", date: "2026-02-01T09:15:00Z")
        return BenchmarkReport(
            machine: machine,
            rows: [
                BenchmarkRow(
                    name: "append, batch 5000", unit: "records/s", samples: Samples([810_000, 790_500, 805_000]),
                    ceilingName: "A batched", ceilingMedian: 900_000, target: "≥ 50% of A", met: true),
                BenchmarkRow(
                    name: "append, single event p50", unit: "µs", median: 512.25, min: 480, max: 700, runs: 5,
                    ceilingName: "A single p50", ceilingMedian: 250, target: "≤ 2 × A single", met: false),
                BenchmarkRow(name: "peak RssAnon", unit: "KiB", median: 40_960, min: 40_000, max: 41_000, runs: 5),
            ])
    }

    @Test("the ratio defaults to median over the ceiling's median")
    func ratio() {
        let rows = sampleReport().rows
        #expect(rows[0].median == 805_000 && rows[0].min == 790_500 && rows[0].max == 810_000 && rows[0].runs == 3)
        #expect(abs(rows[0].ratio! - 805_000.0 / 900_000) < 1e-12)
        #expect(rows[1].ratio == 512.25 / 250)
        #expect(rows[2].ratio == nil)
        #expect(BenchmarkRow(name: "x", unit: "s", median: 1, min: 1, max: 1, runs: 1, ratio: 0.5).ratio == 0.5)
    }

    @Test("the table has a header, a rule and one line per row, columns aligned")
    func table() {
        let report = sampleReport()
        let lines = report.renderTable().split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 2 + report.rows.count)
        #expect(lines[0].hasPrefix("figure"))
        #expect(lines[1].allSatisfy { $0 == "-" || $0 == " " })
        for (row, line) in zip(report.rows, lines.dropFirst(2)) { #expect(line.hasPrefix(row.name)) }
        // Numbers are right-aligned: every median ends where the header "median" ends.
        let header = Array(lines[0])
        let medianEnd = header.firstRange(of: Array("median"))!.upperBound
        for line in lines.dropFirst(2) {
            let characters = Array(line)
            #expect(characters[medianEnd - 1] != " " && characters[medianEnd] == " ")
        }
        #expect(lines[2].contains("805,000") && lines[2].contains("0.89") && lines[2].contains("yes"))
        #expect(lines[3].contains("512.2") && lines[3].contains("NO") && lines[3].contains("≤ 2 × A single"))
        #expect(!lines.contains { $0.hasSuffix(" ") })
        #expect(report.renderText().hasPrefix("CPU:      Test CPU @ 2.0GHz (2 cores)"))
    }

    @Test("the JSON parses back to the same report, keys sorted, absent values as null")
    func json() throws {
        let report = sampleReport()
        let data = try report.json()
        #expect(try report.json() == data)
        #expect(try BenchmarkReport.decode(data) == report)

        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["machine", "rows", "schemaVersion"])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == report.rows.count)
        #expect(rows[2]["ceilingName"] is NSNull && rows[2]["met"] is NSNull)
        #expect(rows[0]["met"] as? Bool == true)
        #expect((object["machine"] as? [String: Any])?["cores"] as? Int == 2)

        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\n  \"machine\""))
        let keys = ["ceilingMedian", "ceilingName", "max", "median", "met", "min", "name", "ratio", "runs", "target"]
        let positions = keys.map { text.range(of: "\"\($0)\"")!.lowerBound }
        #expect(positions == positions.sorted())
    }

    @Test("a figure that is not a number cannot be written as JSON")
    func notANumber() {
        var report = sampleReport()
        report.rows[0].ratio = .infinity
        #expect(throws: (any Error).self) { try report.json() }
    }

    @Test("numbers keep three significant figures")
    func format() {
        #expect(BenchmarkReport.format(912_345.6) == "912,346")
        #expect(BenchmarkReport.format(1_000) == "1,000")
        #expect(BenchmarkReport.format(999.94) == "999.9")
        #expect(BenchmarkReport.format(1.5) == "1.50")
        #expect(BenchmarkReport.format(0.012_34) == "0.0123")
        #expect(BenchmarkReport.format(0) == "0.00")
        #expect(BenchmarkReport.format(-2_500) == "-2,500")
    }

    @Test("this machine is described from /proc and the loaded libraries")
    func machine() {
        let machine = MachineDescription.current(date: "today")
        #expect(!machine.cpuModel.isEmpty)
        #expect(machine.cores >= 1)
        #expect(machine.memoryKiB > 0)
        #expect(machine.kernel.hasPrefix("Linux "))
        #expect(machine.lmdbVersion.hasPrefix("LMDB 0.9"))
        #expect(machine.opensslVersion.hasPrefix("OpenSSL 3"))
        #expect(machine.swiftVersion.hasPrefix("Swift 6"))
        #expect(machine.date == "today")
    }
}
