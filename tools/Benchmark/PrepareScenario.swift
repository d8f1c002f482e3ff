import Lineage

extension BenchmarkRun {
    /// `EventPreparer.prepare` alone, on one thread, over the import workload already in memory: the
    /// producer thread's whole share of an import (parse, envelope and payload rules, canonical and
    /// stored forms, plaintexts, digests). The producer has one core to itself and must keep up with
    /// the writer on the other, so its cost per event bounds the import rate (100,000–200,000/s
    /// needs 5–10 µs at most, all of it).
    func prepareAlone(workload: String) throws {
        let lines = try Self.lines(of: workload, limit: .max)
        log("prepare alone: \(options.runs) × \(lines.count) events on one thread")
        let preparer = try Ledger.create(directory: try workspace.freshDirectory("prepare")).makePreparer()
        workspace.remove("prepare")
        var rates = Samples()
        var costs = Samples()
        for _ in 0..<options.runs {
            let (rejected, seconds) = measureSeconds {
                var rejected = 0
                for (index, line) in lines.enumerated() {
                    if case .rejected = preparer.prepare(line[...], line: index + 1) { rejected += 1 }
                }
                return rejected
            }
            guard rejected == 0 else { throw BenchmarkFailure("prepare rejected \(rejected) workload events") }
            rates.append(Double(lines.count) / seconds)
            costs.append(seconds * 1e6 / Double(lines.count))
        }
        add(BenchmarkRow(name: "prepare alone (one thread)", unit: "events/s", samples: rates))
        add(BenchmarkRow(name: "prepare alone, per event", unit: "µs", samples: costs))
    }
}
