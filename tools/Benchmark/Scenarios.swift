import CLMDB
import Foundation
import Lineage
import Workload

/// The benchmark's figures, measured in an order that keeps them honest: the single-transaction
/// latencies first (the disk is slower after gigabytes of writes), each ceiling beside the figure
/// it bounds, over the same bytes and the same batch size.
final class BenchmarkRun {
    let options: BenchmarkOptions
    let workspace: Workspace
    private(set) var rows: [BenchmarkRow] = []
    let log: (String) -> Void

    init(options: BenchmarkOptions, workspace: Workspace, log: @escaping (String) -> Void) {
        self.options = options
        self.workspace = workspace
        self.log = log
    }

    func add(_ row: BenchmarkRow) {
        rows.append(row)
        log("  \(row.name): \(BenchmarkReport.format(row.median)) \(row.unit)")
    }

    private var importConfiguration: WorkloadConfiguration {
        WorkloadConfiguration(events: options.importEvents, seed: options.seed, probeSizes: [], probePeoplePerSize: 0)
    }

    // MARK: - The workload

    /// Writes the import workload and measures the generator (context, not a target).
    func generateWorkload() throws -> (path: String, bytes: Int) {
        log("workload: \(options.importEvents) events")
        let (written, seconds) = try measureSeconds {
            try workspace.writeWorkload(importConfiguration, to: "import.ndjson")
        }
        add(
            BenchmarkRow(
                name: "workload generator", unit: "events/s", samples: Samples([Double(options.importEvents) / seconds])
            ))
        return written
    }

    // MARK: - Single durable appends

    /// One event per durable transaction, through the library, against the same puts replayed raw
    /// (A-full) and a bare MDB_APPEND of the same record (A). The three are interleaved, one event
    /// at a time and in turns, so that a slow phase of the disk (its latency drifts on this VM) falls
    /// on each side alike rather than on whichever ran through it.
    func singleAppends(workload: String) throws {
        log("single durable appends: \(options.singleAppends)")
        let lines = try Self.lines(of: workload, limit: WorkloadConfiguration.registrationCount + options.singleAppends)
        // First the same appends with their puts captured, untimed (capturing copies every key and
        // value); then, on a fresh ledger beside fresh ceiling environments, the timed ones.
        let capture = PutCapture()
        let databases: [RawDatabase]
        do {
            let ledger = try Ledger.create(directory: try workspace.freshDirectory("single-capture"))
            let preparer = try ledger.makePreparer()
            ledger.environment.putCapture = capture
            for (index, line) in lines.enumerated() {
                _ = try ledger.append([preparer.prepare(line[...], line: index + 1)])
            }
            ledger.environment.putCapture = nil
            databases = try Self.rawDatabases(of: ledger)
        }
        workspace.remove("single-capture")
        let transactions = Self.rawTransactions(capture.take())
        guard transactions.count == lines.count else {
            throw BenchmarkFailure("captured \(transactions.count) transactions for \(lines.count) single appends")
        }
        let records = try transactions.enumerated().map { index, transaction in
            guard let record = transaction.first(where: { $0.database == AppendOnlyLog.recordsDatabaseName })?.value
            else { throw BenchmarkFailure("single append \(index + 1) captured no record") }
            return record
        }
        let indexByName = try Ceilings.Replayer.databaseIndexes(databases)
        let resolved = try transactions.map { try Ceilings.Replayer.resolve($0, in: indexByName) }

        let directory = try workspace.freshDirectory("single")
        let ledger = try Ledger.create(directory: directory)
        let preparer = try ledger.makePreparer()
        var latencies = Samples()
        var fullLatencies = Samples()
        var bareLatencies = Samples()
        do {
            let replayer = try Ceilings.Replayer(
                databases: databases, directory: try workspace.freshDirectory("single-full"))
            let bare = try Ceilings.SingleAppender(directory: try workspace.freshDirectory("single-bare"))
            for (index, line) in lines.enumerated() {
                let prepared = preparer.prepare(line[...], line: index + 1)
                for side in 0..<3 {
                    switch (side + index) % 3 {
                    case 0:
                        let (outcomes, seconds) = try measureSeconds { try ledger.append([prepared]) }
                        guard case .appended = outcomes.outcomes.first else {
                            throw BenchmarkFailure("single append \(index + 1) was not appended")
                        }
                        latencies.append(seconds * 1e6)
                    case 1:
                        let nanoseconds = try replayer.replay(transactions[index], indexes: resolved[index]).nanoseconds
                        fullLatencies.append(Double(nanoseconds) / 1e3)
                    default:
                        bareLatencies.append(Double(try bare.append(records[index])) / 1e3)
                    }
                }
            }
        }
        workspace.remove("single")
        workspace.remove("single-full")
        workspace.remove("single-bare")
        // Every transaction counts, the party registrations that open the workload included, on all three
        // sides alike.

        add(
            BenchmarkRow(
                name: "single append p50", unit: "µs", median: latencies.median, min: latencies.min,
                max: latencies.max, runs: latencies.count, ceilingName: "A-full single p50",
                ceilingMedian: fullLatencies.median, target: "≤ 1.3 × A-full",
                met: latencies.median <= 1.3 * fullLatencies.median))
        add(
            BenchmarkRow(
                name: "single append p99", unit: "µs", median: latencies.percentile(99), min: latencies.min,
                max: latencies.max, runs: latencies.count, ceilingName: "A-full single p99",
                ceilingMedian: fullLatencies.percentile(99)))
        add(
            BenchmarkRow(
                name: "ceiling A single p50 (bare append)", unit: "µs", median: bareLatencies.median,
                min: bareLatencies.min, max: bareLatencies.max, runs: bareLatencies.count))
        add(
            BenchmarkRow(
                name: "ceiling A-full single p50", unit: "µs", median: fullLatencies.median, min: fullLatencies.min,
                max: fullLatencies.max, runs: fullLatencies.count))
    }

    // MARK: - Bulk import

    /// The import through the CLI, repeated on fresh ledgers; then the same work as a library call
    /// with its puts captured and replayed raw (A-full), the writer alone on parsed events, and the
    /// bare record appends (A). Returns the records of the last ledger, for the hash ceilings.
    func bulkImport(workload: (path: String, bytes: Int)) throws -> (records: [[UInt8]], ledger: String) {
        let events = Double(options.importEvents)
        log("bulk import through the CLI: \(options.runs) × \(options.importEvents) events, batch \(options.batchSize)")
        var cliRates = Samples()
        var cliMegabytes = Samples()
        var peaks = Samples()
        for run in 0..<options.runs {
            let directory = try workspace.freshDirectory("import-cli")
            try runLineage(["init", "--ledger", directory])
            let measured = try runLineage(
                ["append", "--ledger", directory, "--batch-size", String(options.batchSize), workload.path],
                expectingAppended: options.importEvents)
            cliRates.append(events / measured.elapsedSeconds)
            cliMegabytes.append(Double(workload.bytes) / 1e6 / measured.elapsedSeconds)
            peaks.append(Double(measured.peakRssAnonKiB) / 1024)
            if run < options.runs - 1 { workspace.remove("import-cli") }
        }
        let cliLedger = workspace.path("import-cli")
        let records = try Self.records(of: cliLedger)

        log("bulk import through the library, with the puts captured")
        let captureDirectory = try workspace.freshDirectory("import-capture")
        let captured: [[RawPut]]
        let databases: [RawDatabase]
        do {
            let ledger = try Ledger.create(directory: captureDirectory)
            let capture = PutCapture()
            ledger.environment.putCapture = capture
            _ = try Self.importFile(workload.path, into: ledger, batchSize: options.batchSize)
            ledger.environment.putCapture = nil
            captured = Self.rawTransactions(capture.take())
            databases = try Self.rawDatabases(of: ledger)
        }
        workspace.remove("import-capture")

        var libraryRates = Samples()
        var writerRates = Samples()
        var fullRates = Samples()
        var bareRates = Samples()
        for _ in 0..<options.runs {
            let replay = try Ceilings.lmdbReplay(
                databases: databases, transactions: captured, directory: try workspace.freshDirectory("a-full"))
            fullRates.append(events / replay.seconds)
            workspace.remove("a-full")

            let bare = try Ceilings.lmdbAppendBatched(
                records: records, batchSize: options.batchSize, directory: try workspace.freshDirectory("a"))
            bareRates.append(bare.itemsPerSecond)
            workspace.remove("a")

            let library = try Ledger.create(directory: try workspace.freshDirectory("import-library"))
            let (_, seconds) = try measureSeconds {
                try Self.importFile(workload.path, into: library, batchSize: options.batchSize)
            }
            libraryRates.append(events / seconds)
            workspace.remove("import-library")

            writerRates.append(try writerOnly(workload: workload.path))
        }
        let fullMedian = fullRates.median
        add(
            BenchmarkRow(
                name: "import, CLI (NDJSON file)", unit: "events/s", samples: cliRates, ceilingName: "A-full batched",
                ceilingMedian: fullMedian, target: "≥ 100,000/s and ≥ 0.5 × A-full",
                met: cliRates.median >= 100_000 && cliRates.median >= 0.5 * fullMedian))
        add(
            BenchmarkRow(
                name: "import, CLI (NDJSON file)", unit: "MB/s", samples: cliMegabytes))
        add(
            BenchmarkRow(
                name: "import, CLI, vs bare appends", unit: "events/s", samples: cliRates, ceilingName: "A batched",
                ceilingMedian: bareRates.median))
        add(
            BenchmarkRow(
                name: "import, library (NDJSON file)", unit: "events/s", samples: libraryRates,
                ceilingName: "A-full batched", ceilingMedian: fullMedian))
        add(
            BenchmarkRow(
                name: "append, library (parsed events)", unit: "events/s", samples: writerRates,
                ceilingName: "A-full batched", ceilingMedian: fullMedian))
        add(BenchmarkRow(name: "ceiling A-full batched", unit: "events/s", samples: fullRates))
        add(BenchmarkRow(name: "ceiling A batched (bare appends)", unit: "records/s", samples: bareRates))
        add(
            BenchmarkRow(
                name: "import peak RssAnon (\(options.importEvents) events)", unit: "MiB", samples: peaks,
                target: "< 300 MiB", met: peaks.max < 300))
        return (records, cliLedger)
    }

    /// The writer alone: every line prepared (parsed, checked, digested) before the clock starts,
    /// then appended in batches, one durable transaction each.
    private func writerOnly(workload: String) throws -> Double {
        let ledger = try Ledger.create(directory: try workspace.freshDirectory("import-writer"))
        defer { workspace.remove("import-writer") }
        let preparer = try ledger.makePreparer()
        var batches: [[PreparedLine]] = []
        var batch: [PreparedLine] = []
        for (index, line) in try Self.lines(of: workload, limit: .max).enumerated() {
            batch.append(preparer.prepare(line[...], line: index + 1))
            if batch.count == options.batchSize {
                batches.append(batch)
                batch = []
            }
        }
        if !batch.isEmpty { batches.append(batch) }
        let (appended, seconds) = try measureSeconds {
            try batches.reduce(0) { count, batch in
                count
                    + (try ledger.append(batch).outcomes.filter { if case .appended = $0 { true } else { false } }.count)
            }
        }
        guard appended == options.importEvents else {
            throw BenchmarkFailure("the writer appended \(appended) of \(options.importEvents) events")
        }
        return Double(appended) / seconds
    }

    // MARK: - Hash and cipher ceilings, verify, rebuild

    /// Ceiling B over the stored records, beside `verify` and `rebuild` of the ledger they came from.
    func verifyAndRebuild(records: [[UInt8]], ledger: String, label: String) throws {
        let recordBytes = records.reduce(0) { $0 + $1.count }
        var sha = Samples()
        var aes = Samples()
        log("verify and rebuild: \(label)")
        var verify = Samples()
        var deepVerify = Samples()
        var treePass = Samples()
        var rebuild = Samples()
        // Each run takes the ceilings right before the verifications they are the ceilings of, so
        // that the machine's slow phases (its SHA-256 speed drifts by a quarter between runs) fall on
        // both sides of a ratio alike.
        for _ in 0..<options.runs {
            sha.append(try Ceilings.sha256Leaf(records: records).throughput.megabytesPerSecond)
            aes.append(try Ceilings.aes256GCMSeal(plaintexts: records, rekeyEachSeal: true).megabytesPerSecond)
            let opened = try Ledger(directory: ledger)
            let (outcome, seconds) = try measureSeconds {
                try opened.environment.read { try opened.log.verify(in: $0, workers: 2) }
            }
            guard case .intact = outcome else { throw BenchmarkFailure("the tree pass found damage: \(outcome)") }
            treePass.append(Double(recordBytes) / 1e6 / seconds)
            let verified = try runLineage(["verify", "--ledger", ledger])
            verify.append(Double(recordBytes) / 1e6 / verified.elapsedSeconds)
            let deep = try runLineage(["verify", "--deep", "--ledger", ledger])
            deepVerify.append(Double(recordBytes) / 1e6 / deep.elapsedSeconds)
            let rebuilt = try runLineage(["rebuild", "--ledger", ledger])
            rebuild.append(Double(records.count) / rebuilt.elapsedSeconds)
        }
        add(
            BenchmarkRow(
                name: "verify (\(label))", unit: "MB/s", samples: verify, ceilingName: "B SHA-256",
                ceilingMedian: sha.median, target: "≥ 0.5 × B SHA-256", met: verify.median >= 0.5 * sha.median))
        add(
            BenchmarkRow(
                name: "verify --deep (\(label))", unit: "MB/s", samples: deepVerify, ceilingName: "B SHA-256",
                ceilingMedian: sha.median))
        add(
            BenchmarkRow(
                name: "verify, Merkle pass alone (\(label), library)", unit: "MB/s", samples: treePass,
                ceilingName: "B SHA-256", ceilingMedian: sha.median))
        add(
            BenchmarkRow(
                name: "rebuild (\(label))", unit: "events/s", samples: rebuild, target: "≥ 200,000/s",
                met: rebuild.median >= 200_000))
        add(BenchmarkRow(name: "ceiling B SHA-256 (RFC 6962 leaves)", unit: "MB/s", samples: sha))
        add(BenchmarkRow(name: "ceiling B AES-256-GCM (key per seal)", unit: "MB/s", samples: aes))
    }

    // MARK: - Query ledgers

    /// Builds a ledger of `size` events by streaming the generator into the CLI (the peak memory of
    /// that import is a figure), then measures the probe people's queries in-process and through the
    /// CLI, its size on disk, and — up to `maxVerifyEvents` — verify and rebuild.
    func queryLedger(size: Int) throws {
        let label = Self.sizeLabel(size)
        log("ledger of \(label) events, streamed into the CLI")
        let configuration = WorkloadConfiguration(
            events: size, seed: options.seed &+ UInt64(size), probeSizes: options.probeSizes,
            probePeoplePerSize: options.probePeoplePerSize)
        let probes = try WorkloadGenerator(configuration).probes
        let directory = try workspace.freshDirectory("ledger-\(label)")
        try runLineage(["init", "--ledger", directory])
        let stream = try workspace.streamWorkload(configuration, through: "stream-\(label).ndjson")
        let imported = try runLineage(
            ["append", "--ledger", directory, "--batch-size", String(options.batchSize), stream.path],
            expectingAppended: size)
        _ = try stream.finished()
        workspace.remove("stream-\(label).ndjson")
        add(
            BenchmarkRow(
                name: "import, CLI, streamed (\(label))", unit: "events/s",
                samples: Samples([Double(size) / imported.elapsedSeconds])))
        let peak = Double(imported.peakRssAnonKiB) / 1024
        add(
            BenchmarkRow(
                name: "import peak RssAnon (\(label))", unit: "MiB", samples: Samples([peak]), target: "< 300 MiB",
                met: peak < 300))

        let ledger = try Ledger(directory: directory)
        let statistics = try ledger.statistics()
        // The file is as long as the map (allocated ahead); what the data takes is up to the last page.
        let fileBytes = statistics.environment.usedBytes
        let usedBytes = statistics.databases.reduce(0) { $0 + $1.statistics.bytes }
        add(
            BenchmarkRow(
                name: "disk per event (\(label), data.mdb to its last page)", unit: "bytes",
                samples: Samples([Double(fileBytes) / Double(size)])))
        add(
            BenchmarkRow(
                name: "pages per event (\(label), in use)", unit: "bytes",
                samples: Samples([Double(usedBytes) / Double(size)])))

        for probeSize in options.probeSizes {
            let subjects = probes.filter { $0.events == probeSize }.map(\.subject)
            try measureQueries(
                ledger: ledger, directory: directory, subjects: subjects, label: "\(probeSize) events, \(label) ledger",
                judged: probeSize == options.probeSizes.first)
        }
        if size <= options.maxVerifyEvents {
            let records = try Self.records(of: directory)
            try verifyAndRebuild(records: records, ledger: directory, label: "\(label) events")
        }
        workspace.remove("ledger-\(label)")
    }

    /// The query figures alone, on a ledger imported earlier (for iterating on them, or profiling
    /// them, without building a ledger each time).
    func queries(onExistingLedger directory: String) throws {
        let ledger = try Ledger(directory: directory)
        let size = try ledger.statistics().head.size
        let label = "existing \(Self.sizeLabel(Int(size)))"
        log("queries on \(directory): \(size) events")
        let probes = WorkloadGenerator.probeSubjects(
            sizes: options.probeSizes, peoplePerSize: options.probePeoplePerSize)
        for probeSize in options.probeSizes {
            let subjects = probes.filter { $0.events == probeSize }.map(\.subject)
            guard try ledger.provenance(subject: subjects[0]).isEmpty == false else {
                throw BenchmarkFailure("\(subjects[0]) has no events in \(directory): other --probes?")
            }
            try measureQueries(
                ledger: ledger, directory: directory, subjects: subjects, label: "\(probeSize) events, \(label) ledger",
                judged: probeSize == options.probeSizes.first)
        }
    }

    private func measureQueries(
        ledger: Ledger, directory: String, subjects: [String], label: String, judged: Bool
    ) throws {
        guard !subjects.isEmpty else { return }
        for (name, query) in [
            ("provenance", { (subject: String) in _ = try ledger.provenance(subject: subject) }),
            ("recipients", { (subject: String) in _ = try ledger.recipients(subject: subject) }),
        ] as [(String, (String) throws -> Void)] {
            for subject in subjects { try query(subject) }  // warm the page cache
            var latencies = Samples()
            for iteration in 0..<options.queryIterations {
                let subject = subjects[iteration % subjects.count]
                let (_, seconds) = try measureSeconds { try query(subject) }
                latencies.append(seconds * 1e6)
            }
            add(
                BenchmarkRow(
                    name: "\(name) p50 (\(label))", unit: "µs", median: latencies.median, min: latencies.min,
                    max: latencies.max, runs: latencies.count, target: judged ? "< 200 µs" : nil,
                    met: judged ? latencies.median < 200 : nil))
            add(
                BenchmarkRow(
                    name: "\(name) p99 (\(label))", unit: "µs", median: latencies.percentile(99), min: latencies.min,
                    max: latencies.max, runs: latencies.count, target: judged ? "< 1,000 µs" : nil,
                    met: judged ? latencies.percentile(99) < 1_000 : nil))
            var process = Samples()
            for run in 0..<options.cliQueryRuns {
                let subject = subjects[run % subjects.count]
                process.append(
                    try runLineage([name, "--ledger", directory, "--subject", subject]).elapsedSeconds * 1e3)
            }
            add(BenchmarkRow(name: "\(name), whole CLI process (\(label))", unit: "ms", samples: process))
        }
    }

    // MARK: - Helpers

    /// Runs the CLI, failing the benchmark on a non-zero exit or (for an append) on any line that was
    /// not appended.
    @discardableResult
    private func runLineage(_ arguments: [String], expectingAppended: Int? = nil) throws -> ProcessMeasurement {
        let output = workspace.path("stdout.txt")
        let errors = workspace.path("stderr.txt")
        let measured = try ProcessMeasurement.run(
            executable: options.lineage, arguments: arguments, standardOutput: output, standardError: errors)
        guard measured.exitCode == 0 else {
            let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            throw BenchmarkFailure(
                "lineage \(arguments.first ?? "") ended with \(measured.termination): \(stderr.prefix(400))")
        }
        if let expected = expectingAppended {
            let stdout = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            guard stdout.contains("\"appended\":\(expected),") else {
                throw BenchmarkFailure("expected \(expected) events appended, the CLI said: \(stdout.prefix(300))")
            }
        }
        return measured
    }

    static func importFile(_ path: String, into ledger: Ledger, batchSize: Int) throws -> AppendSummary {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw BenchmarkFailure("cannot open \(path)") }
        defer { close(fd) }
        let summary = try ledger.append(from: fd, options: AppendOptions(batchSize: batchSize))
        guard summary.rejected == 0 else {
            throw BenchmarkFailure("the library import rejected \(summary.rejected) events")
        }
        return summary
    }

    /// The first `limit` lines of a file, without their newlines.
    static func lines(of path: String, limit: Int) throws -> [[UInt8]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var lines: [[UInt8]] = []
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var start = 0
            for index in 0..<bytes.count where bytes[index] == 0x0a {
                if lines.count == limit { return }
                lines.append(Array(bytes[start..<index]))
                start = index + 1
            }
        }
        return lines
    }

    /// Every record of the ledger in `directory`, in order.
    static func records(of directory: String) throws -> [[UInt8]] {
        let ledger = try Ledger(directory: directory)
        return try ledger.environment.read { txn in
            var records: [[UInt8]] = []
            try ledger.log.forEachRecord(in: txn) { _, bytes in records.append(bytes) }
            return records
        }
    }

    /// The ledger's databases with the flags LMDB created them with, for the replay.
    static func rawDatabases(of ledger: Ledger) throws -> [RawDatabase] {
        try ledger.environment.read { txn in
            try ledger.databases.map { RawDatabase(name: $0.name, flags: try txn.flags(of: $0).rawValue) }
        }
    }

    static func rawTransactions(_ captured: [[CapturedPut]]) -> [[RawPut]] {
        captured.map { puts in
            puts.map {
                RawPut(
                    database: $0.database, key: $0.key, value: $0.value, flags: $0.flags.rawValue, isDelete: $0.isDelete
                )
            }
        }
    }

    static func sizeLabel(_ size: Int) -> String {
        if size >= 1_000_000 && size % 1_000_000 == 0 { return "\(size / 1_000_000)M" }
        if size >= 1_000 && size % 1_000 == 0 { return "\(size / 1_000)k" }
        return String(size)
    }
}
