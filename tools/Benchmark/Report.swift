import CCrypto
import CLMDB
import Foundation

/// The machine a benchmark ran on, so that figures from different machines are never compared
/// unknowingly.
struct MachineDescription: Codable, Sendable, Equatable {
    /// `model name` from /proc/cpuinfo.
    var cpuModel: String
    /// Processors online (logical cores).
    var cores: Int
    /// `MemTotal` from /proc/meminfo, in KiB.
    var memoryKiB: Int
    /// Kernel name, release and version, as `uname -srv` prints them.
    var kernel: String
    /// The compiler that built the benchmark (there is no runtime query for it).
    var swiftVersion: String
    /// `mdb_version()` of the liblmdb actually loaded.
    var lmdbVersion: String
    /// `OpenSSL_version(OPENSSL_VERSION)` of the libcrypto actually loaded.
    var opensslVersion: String
    /// When the benchmark ran, as the caller wrote it (e.g. ISO 8601).
    var date: String

    init(
        cpuModel: String, cores: Int, memoryKiB: Int, kernel: String, swiftVersion: String, lmdbVersion: String,
        opensslVersion: String, date: String
    ) {
        self.cpuModel = cpuModel
        self.cores = cores
        self.memoryKiB = memoryKiB
        self.kernel = kernel
        self.swiftVersion = swiftVersion
        self.lmdbVersion = lmdbVersion
        self.opensslVersion = opensslVersion
        self.date = date
    }

    /// Describes this machine; "unknown" (or 0) for whatever /proc does not tell.
    static func current(date: String) -> MachineDescription {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let memTotal = procField(meminfo, "MemTotal")?.split(separator: " ").first.flatMap { Int($0) }
        return MachineDescription(
            cpuModel: procField(cpuinfo, "model name") ?? "unknown",
            cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryKiB: memTotal ?? 0,
            kernel: kernelDescription(),
            swiftVersion: compilerVersion,
            lmdbVersion: String(cString: mdb_version(nil, nil, nil)),
            opensslVersion: String(cString: OpenSSL_version(OPENSSL_VERSION)),
            date: date)
    }

    /// The value after the colon on the first line of a /proc text file whose key is `key`.
    private static func procField(_ text: String, _ key: String) -> String? {
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].trimmingCharacters(in: .whitespaces) == key {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    private static func kernelDescription() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "unknown" }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return [text(names.sysname), text(names.release), text(names.version)].joined(separator: " ")
    }

    /// The compiler version to the minor release, from compile-time conditions.
    private static var compilerVersion: String {
        #if compiler(>=7.0)
            return "Swift 7.0 or later"
        #elseif compiler(>=6.4)
            return "Swift 6.4"
        #elseif compiler(>=6.3)
            return "Swift 6.3"
        #elseif compiler(>=6.2)
            return "Swift 6.2"
        #elseif compiler(>=6.1)
            return "Swift 6.1"
        #else
            return "Swift 6.0"
        #endif
    }
}

/// One figure of the report: the statistics of its runs and how it compares with its ceiling and
/// its target.
struct BenchmarkRow: Codable, Sendable, Equatable {
    var name: String
    /// The unit of `median`, `min`, `max` and `ceilingMedian`, e.g. "records/s", "µs", "MB/s", "KiB".
    var unit: String
    var median: Double
    var min: Double
    var max: Double
    var runs: Int
    /// The physical ceiling this figure is held against, e.g. "A batched".
    var ceilingName: String?
    var ceilingMedian: Double?
    /// median ÷ ceilingMedian: the share of the ceiling reached for a rate, the overhead factor for
    /// a latency.
    var ratio: Double?
    /// The target in words, e.g. "≥ 50% of ceiling A" or "p99 ≤ 5 ms".
    var target: String?
    /// Whether the target was met; `nil` when there is no target or it was not judged.
    var met: Bool?

    /// A row from explicit figures. `ratio` defaults to median ÷ ceilingMedian when there is a
    /// ceiling.
    init(
        name: String, unit: String, median: Double, min: Double, max: Double, runs: Int, ceilingName: String? = nil,
        ceilingMedian: Double? = nil, ratio: Double? = nil, target: String? = nil, met: Bool? = nil
    ) {
        self.name = name
        self.unit = unit
        self.median = median
        self.min = min
        self.max = max
        self.runs = runs
        self.ceilingName = ceilingName
        self.ceilingMedian = ceilingMedian
        self.ratio = ratio ?? ceilingMedian.flatMap { $0 == 0 ? nil : median / $0 }
        self.target = target
        self.met = met
    }

    /// A row from the samples of its runs.
    init(
        name: String, unit: String, samples: Samples, ceilingName: String? = nil, ceilingMedian: Double? = nil,
        ratio: Double? = nil, target: String? = nil, met: Bool? = nil
    ) {
        self.init(
            name: name, unit: unit, median: samples.median, min: samples.min, max: samples.max, runs: samples.count,
            ceilingName: ceilingName, ceilingMedian: ceilingMedian, ratio: ratio, target: target, met: met)
    }

    private enum CodingKeys: String, CodingKey {
        case name, unit, median, min, max, runs, ceilingName, ceilingMedian, ratio, target, met
    }

    /// Writes every key, absent values as `null`, so that every row of the JSON has the same shape
    /// for whoever reads it (the synthesized encoder would leave absent keys out).
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(unit, forKey: .unit)
        try container.encode(median, forKey: .median)
        try container.encode(min, forKey: .min)
        try container.encode(max, forKey: .max)
        try container.encode(runs, forKey: .runs)
        try container.encode(ceilingName, forKey: .ceilingName)
        try container.encode(ceilingMedian, forKey: .ceilingMedian)
        try container.encode(ratio, forKey: .ratio)
        try container.encode(target, forKey: .target)
        try container.encode(met, forKey: .met)
    }
}

/// What a benchmark run found: the machine and one row per figure.
struct BenchmarkReport: Codable, Sendable, Equatable {
    /// Bumped when the JSON's shape changes, so that stored reports can be compared safely.
    var schemaVersion = 1
    var machine: MachineDescription
    var rows: [BenchmarkRow]

    init(machine: MachineDescription, rows: [BenchmarkRow] = []) {
        self.machine = machine
        self.rows = rows
    }

    /// The machine, one `key: value` line each.
    func renderMachine() -> String {
        let memoryGiB = Double(machine.memoryKiB) / (1024 * 1024)
        return [
            "CPU:      \(machine.cpuModel) (\(machine.cores) cores)",
            "Memory:   \(String(format: "%.1f", memoryGiB)) GiB",
            "Kernel:   \(machine.kernel)",
            "Swift:    \(machine.swiftVersion)",
            "LMDB:     \(machine.lmdbVersion)",
            "OpenSSL:  \(machine.opensslVersion)",
            "Date:     \(machine.date)",
        ].joined(separator: "\n") + "\n"
    }

    /// The figures as an aligned plain-text table: a header line, a rule, then exactly one line per
    /// row. Text columns are left-aligned, numbers right-aligned; an absent value is blank.
    func renderTable() -> String {
        let header = [
            "figure", "median", "min", "max", "unit", "runs", "ceiling", "ceiling median", "ratio", "target", "met",
        ]
        let numeric: Set<Int> = [1, 2, 3, 5, 7, 8]
        let lines: [[String]] = rows.map { row in
            [
                row.name, Self.format(row.median), Self.format(row.min), Self.format(row.max), row.unit,
                String(row.runs), row.ceilingName ?? "", row.ceilingMedian.map(Self.format) ?? "",
                row.ratio.map { String(format: "%.2f", $0) } ?? "", row.target ?? "",
                row.met.map { $0 ? "yes" : "NO" } ?? "",
            ]
        }
        // Widths in characters, not bytes: units such as "µs" and targets such as "≥" are multi-byte.
        var widths = header.map(\.count)
        for line in lines {
            for (column, cell) in line.enumerated() { widths[column] = Swift.max(widths[column], cell.count) }
        }
        func render(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return numeric.contains(column) ? padding + cell : cell + padding
            }
            // Trailing blanks of the last columns would make diffs of stored tables noisy.
            return padded.joined(separator: "  ").replacingOccurrences(
                of: " +$", with: "", options: .regularExpression)
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([render(header), rule] + lines.map(render)).joined(separator: "\n") + "\n"
    }

    /// The machine description followed by the table.
    func renderText() -> String {
        renderMachine() + "\n" + renderTable()
    }

    /// The report as pretty-printed JSON with keys in sorted order, so that two reports diff line by
    /// line. Throws when a figure is not finite (JSON has no NaN or infinity).
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a report written by ``json()``, e.g. a stored baseline.
    static func decode(_ data: Data) throws -> BenchmarkReport {
        try JSONDecoder().decode(BenchmarkReport.self, from: data)
    }

    /// Three significant figures or more, grouped by thousands for large values, so that a rate of
    /// 912345.6 reads "912,346" and a latency of 0.01234 reads "0.0123".
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return String(value) }
        let magnitude = abs(value)
        // Past 10¹⁵ grouped digits are unreadable (and would overflow Int64 past 9.2·10¹⁸).
        if magnitude >= 1e15 { return String(format: "%.3e", value) }
        if magnitude >= 1000 {
            let digits = String(Int64(magnitude.rounded()))
            var grouped = ""
            for (index, digit) in digits.enumerated() {
                if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
                grouped.append(digit)
            }
            return (value < 0 ? "-" : "") + grouped
        }
        if magnitude >= 100 { return String(format: "%.1f", value) }
        if magnitude >= 1 || magnitude == 0 { return String(format: "%.2f", value) }
        return String(format: "%.3g", value)
    }
}
