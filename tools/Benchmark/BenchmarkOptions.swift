import Foundation

/// What one benchmark run measures, and how much. The full run is by hand (`tools/bench`); the
/// quick run uses small sizes so the test suite can run it in seconds and keep it from rotting.
struct BenchmarkOptions {
    var quick = false
    /// Events in the workload that the repeated import figures (and the ceilings) use.
    var importEvents = 200_000
    /// Ledgers built once each for the query figures: the person's cost must not grow with these.
    var ledgerSizes = [1_000_000, 10_000_000]
    /// `verify` and `rebuild` run on ledgers of at most this many events.
    var maxVerifyEvents = 1_000_000
    var runs = 3
    var batchSize = 5_000
    var singleAppends = 300
    var queryIterations = 300
    var cliQueryRuns = 10
    var probeSizes = [100, 1_000]
    var probePeoplePerSize = 5
    var seed: UInt64 = 1
    /// Where ledgers and workload files go; emptied first.
    var workDirectory = FileManager.default.currentDirectoryPath + "/.build/bench-work"
    /// The JSON report; the table goes to stdout either way.
    var jsonPath: String?
    /// The `lineage` executable the CLI figures run.
    var lineage = BenchmarkOptions.sibling("lineage")
    /// When set, only these parts run (for iterating on one figure): `singles`, `import`, `verify`,
    /// `queries`.
    var only: Set<String>?
    static let parts: Set<String> = ["singles", "import", "verify", "queries"]
    /// When set, only the query figures run, on this existing ledger (imported earlier from a
    /// workload with the same probe sizes), which is neither built nor removed.
    var queryLedger: String?

    func runs(_ part: String) -> Bool { only?.contains(part) ?? true }

    static let usage = """
        usage: lineage-bench [--quick] [--events N] [--ledgers N,M] [--verify-max N] [--runs R]
                             [--batch-size B] [--singles N] [--queries N] [--cli-queries N]
                             [--probes 100,1000] [--probe-people K] [--seed S] [--work DIR]
                             [--json FILE] [--lineage PATH] [--only singles,import,verify,queries]
                             [--query-ledger DIR]
        Measures the ledger against raw LMDB and OpenSSL ceilings on this machine, in one run.
        Prints one table; --json writes the same figures as JSON. --query-ledger DIR measures only
        the queries, on a ledger imported earlier from `lineage-workload` with the same --probes and
        --probe-people.
        """

    static func sibling(_ name: String) -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent(name).path
    }

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    init() {}

    init(arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            return next
        }
        func integer(_ flag: String) throws -> Int {
            guard let number = Int(try value(flag).replacingOccurrences(of: "_", with: "")), number > 0 else {
                throw UsageError(description: "\(flag) needs a positive integer")
            }
            return number
        }
        func integers(_ flag: String) throws -> [Int] {
            let list = try value(flag).split(separator: ",").map { Int($0.replacingOccurrences(of: "_", with: "")) }
            guard !list.isEmpty, list.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw UsageError(description: "\(flag) needs positive integers separated by commas")
            }
            return list.map { $0! }
        }
        // --quick first, so that explicit sizes given with it still apply.
        if rest.contains("--quick") { self = .quickDefaults }
        while let flag = rest.popFirst() {
            switch flag {
            case "--quick": break
            case "--events": importEvents = try integer(flag)
            case "--ledgers": ledgerSizes = try integers(flag)
            case "--verify-max": maxVerifyEvents = try integer(flag)
            case "--runs": runs = try integer(flag)
            case "--batch-size": batchSize = try integer(flag)
            case "--singles": singleAppends = try integer(flag)
            case "--queries": queryIterations = try integer(flag)
            case "--cli-queries": cliQueryRuns = try integer(flag)
            case "--probes": probeSizes = try integers(flag)
            case "--probe-people": probePeoplePerSize = try integer(flag)
            case "--seed": seed = UInt64(try integer(flag))
            case "--work": workDirectory = URL(fileURLWithPath: try value(flag)).path
            case "--json": jsonPath = URL(fileURLWithPath: try value(flag)).path
            case "--lineage": lineage = URL(fileURLWithPath: try value(flag)).path
            case "--query-ledger": queryLedger = URL(fileURLWithPath: try value(flag)).path
            case "--only":
                let parts = Set(try value(flag).split(separator: ",").map(String.init))
                guard !parts.isEmpty, parts.isSubset(of: Self.parts) else {
                    throw UsageError(description: "--only takes some of \(Self.parts.sorted().joined(separator: ","))")
                }
                only = parts
            case "--help", "-h": throw UsageError(description: "")
            default: throw UsageError(description: "unknown argument \(flag)")
            }
        }
        let probeEvents = probeSizes.reduce(0, +) * probePeoplePerSize
        if let smallest = ledgerSizes.min(), smallest < probeEvents * 2 {
            throw UsageError(
                description:
                    "the smallest ledger (\(smallest)) must hold at least twice the probe people's \(probeEvents) events"
            )
        }
    }

    /// Small enough for a debug build in seconds; asserts nothing about speed.
    static var quickDefaults: BenchmarkOptions {
        var options = BenchmarkOptions()
        options.quick = true
        options.importEvents = 1_500
        options.ledgerSizes = [2_000]
        options.maxVerifyEvents = 2_000
        options.runs = 1
        options.batchSize = 500
        options.singleAppends = 10
        options.queryIterations = 5
        options.cliQueryRuns = 1
        options.probeSizes = [10, 40]
        options.probePeoplePerSize = 2
        return options
    }
}
