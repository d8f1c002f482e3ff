import Foundation
import Workload

/// lineage-workload: writes a deterministic NDJSON workload for the ledger (tools/Workload).
let usage = """
    usage: lineage-workload --events N [--seed S] [--people P] [--probes 100,1000] [--probe-people K]
                            [--start YYYY-MM-DD] [--out FILE] [--probes-out FILE]

    Writes N events as NDJSON (one per line) to FILE or standard output: the party registrations, then
    people's cases, ingestions and disclosures, every one of them valid for `lineage append`. The same
    arguments give the same bytes on every machine.

      --events N          lines in all (required)
      --seed S            an unsigned 64-bit seed (default 1)
      --people P          people introduced besides the probe people (default N / 32)
      --probes LIST       comma-separated event counts of the probe people (default 100,1000; "" for none)
      --probe-people K    probe people per count (default 5)
      --start DATE        the day the stream starts, at 08:00 UTC (default 2026-01-05)
      --out FILE          write the events to FILE instead of standard output
      --probes-out FILE   write the probe people as JSON: [{"subject":"…","events":N},…]
    """

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data(("lineage-workload: " + message + "\n").utf8))
    exit(code)
}

func usageError(_ message: String) -> Never {
    fail(message + "\n\n" + usage, code: 64)
}

/// The command line, read into a configuration and the output paths.
struct Options {
    var configuration = WorkloadConfiguration(events: 0)
    var outPath: String?
    var probesPath: String?

    init(_ commandLine: [String]) {
        var arguments = commandLine[...]
        func value(after option: String) -> String {
            guard let value = arguments.popFirst() else { usageError("\(option) needs a value") }
            return value
        }
        var events: Int?
        while let argument = arguments.popFirst() {
            switch argument {
            case "--events":
                guard let count = Int(value(after: argument)), count >= 0 else {
                    usageError("--events needs a non-negative integer")
                }
                events = count
            case "--seed":
                guard let seed = UInt64(value(after: argument)) else {
                    usageError("--seed needs an unsigned 64-bit integer")
                }
                configuration.seed = seed
            case "--people":
                guard let people = Int(value(after: argument)), people >= 1 else {
                    usageError("--people needs a positive integer")
                }
                configuration.people = people
            case "--probes":
                let text = value(after: argument)
                let sizes =
                    text.isEmpty
                    ? []
                    : text.split(separator: ",", omittingEmptySubsequences: false).map {
                        Int($0) ?? 0
                    }
                guard sizes.allSatisfy({ $0 > 0 }) else {
                    usageError("--probes needs comma-separated positive integers, such as 100,1000")
                }
                configuration.probeSizes = sizes
            case "--probe-people":
                guard let count = Int(value(after: argument)), count >= 0 else {
                    usageError("--probe-people needs a non-negative integer")
                }
                configuration.probePeoplePerSize = count
            case "--start":
                guard let day = CivilCalendar.parse(value(after: argument)) else {
                    usageError("--start needs a date written YYYY-MM-DD")
                }
                configuration.start = Int64(day) * 86_400 + 8 * 3600
            case "--out":
                outPath = value(after: argument)
            case "--probes-out":
                probesPath = value(after: argument)
            case "--help", "-h", "help":
                print(usage)
                exit(0)
            default:
                usageError("unknown argument \(argument)")
            }
        }
        guard let events else { usageError("--events is required") }
        configuration.events = events
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let configuration = options.configuration
let outPath = options.outPath
let probesPath = options.probesPath

var generator: WorkloadGenerator
do {
    generator = try WorkloadGenerator(configuration)
} catch {
    usageError(error.description)
}

func create(_ path: String) -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot create \(path): \(String(cString: strerror(errno)))", code: 1) }
    return fd
}

if let probesPath {
    // Subjects are plain ASCII ids, so they are written as they are.
    let entries = generator.probes.map { #"{"subject":"\#($0.subject)","events":\#($0.events)}"# }
    let fd = create(probesPath)
    let text = Array(("[" + entries.joined(separator: ",") + "]\n").utf8)
    let written = text.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
    guard written == text.count, close(fd) == 0 else { fail("cannot write \(probesPath)", code: 1) }
}

let fd = outPath.map(create) ?? STDOUT_FILENO
do {
    try generator.write(to: fd)
} catch {
    fail(error.description, code: 1)
}
if fd != STDOUT_FILENO && close(fd) != 0 {
    fail("cannot close \(outPath ?? ""): \(String(cString: strerror(errno)))", code: 1)
}
