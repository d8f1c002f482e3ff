import Foundation
import Lineage

/// Exit codes of the CLI contract.
enum ExitCode: Int32 {
    case ok = 0
    case failure = 1
    case integrityViolation = 3
    case usage = 64
    case rejectedInput = 65
}

/// One subcommand: its help, the options it takes, and what it runs.
struct Command: Sendable {
    let name: String
    let summary: String
    let usage: String
    let valued: Set<String>
    let flags: Set<String>
    let run: @Sendable (Arguments, Context) throws -> ExitCode
}

/// Where the ledger is, from `--ledger`, `$LINEAGE_LEDGER` or `./ledger`.
struct Context {
    let ledgerDirectory: String
    let keyFile: String?

    init(_ arguments: Arguments) {
        ledgerDirectory =
            arguments.options["--ledger"]
            ?? ProcessInfo.processInfo.environment["LINEAGE_LEDGER"] ?? "./ledger"
        keyFile = arguments.options["--key-file"]
    }

    func open(forRebuild: Bool = false) throws -> Ledger {
        try Ledger(directory: ledgerDirectory, keyFile: keyFile, forRebuild: forRebuild)
    }
}

enum Commands {
    static let version = "lineage 0.1.0"

    static let all: [Command] = [
        Command(
            name: "init", summary: "create a ledger (LMDB environment and key file)",
            usage: """
                lineage init [--ledger DIR] [--key-file FILE] [--map-size BYTES]

                Creates the ledger directory and a key file readable only by its owner (inside the
                ledger unless --key-file or LINEAGE_KEY_FILE names another place). Never overwrites
                an existing ledger or key file. --map-size sets the initial LMDB map (it grows by itself).
                """,
            valued: ["--map-size"], flags: [], run: initLedger),
        Command(
            name: "append", summary: "append NDJSON events from FILE or stdin",
            usage: """
                lineage append [FILE|-] [--atomic] [--dry-run] [--receipts FILE] [--batch-size N]

                Reads one event per line. Prints {"appended","duplicates","rejected","treeSize","root"}.
                Each rejected line goes to stderr as JSON: line, id, field, rule, message (never the value).
                --atomic       store nothing unless every line is accepted
                --dry-run      check everything, store nothing
                --receipts F   write one JSON line per input line: line, id, status, seq or the rejection
                --batch-size N lines per durable transaction (default 5000)
                Exit 65 when any line was rejected.
                """,
            valued: ["--receipts", "--batch-size"], flags: ["--atomic", "--dry-run"], run: AppendCommand.run),
        Command(
            name: "verify", summary: "recompute the tree and indexes from the records; exit 3 on a mismatch",
            usage: """
                lineage verify [--deep]

                Recomputes every leaf, every stored Merkle node and the root from the records, checks every
                record's format, and the structure and size of every database derived from the records
                (the idempotency index, the projections). It only reads; writers carry on.
                  --deep   also check every event against its rules and canonical form, open every sealed
                           value, and compare every derived entry with what the records give rise to
                Exit 3 naming the first bad sequence number.
                """,
            valued: [], flags: ["--deep"], run: verify),
        Command(
            name: "checkpoint", summary: "print the tree head (size and root)",
            usage: "lineage checkpoint\n\nPrints {\"treeSize\":N,\"root\":\"hex\"}.",
            valued: [], flags: [], run: checkpoint),
        Command(
            name: "prove", summary: "inclusion proof of a record",
            usage: """
                lineage prove --seq N [--tree-size M]

                Prints the RFC 9162 inclusion proof of record N in the tree of M leaves (default: all).
                """,
            valued: ["--seq", "--tree-size"], flags: [], run: prove),
        Command(
            name: "consistency", summary: "consistency proof between two tree sizes",
            usage: """
                lineage consistency --from M [--to N]

                Prints the RFC 9162 consistency proof that the tree of N leaves (default: all) extends
                the tree of M leaves, 1 <= M <= N.
                """,
            valued: ["--from", "--to"], flags: [], run: consistency),
        Command(
            name: "provenance", summary: "where each datum about a person came from",
            usage: """
                lineage provenance --subject S [--field F] [--format json|text]

                Every version of every field (or of F) of subject S, oldest first: the value, whether it is
                current, its source, legal basis, purpose, case, the source's reference, and when.
                """,
            valued: ["--subject", "--field", "--format"], flags: [], run: QueryCommands.provenance),
        Command(
            name: "recipients", summary: "who received a person's data, when, why, and which version",
            usage: """
                lineage recipients --subject S [--field F] [--format json|text]

                Every disclosure of subject S's data (or of field F): the recipient, its kind and country,
                when, the legal basis and purpose, the channel, the transfer safeguard, and for each field
                the version actually sent.
                """,
            valued: ["--subject", "--field", "--format"], flags: [], run: QueryCommands.recipients),
        Command(
            name: "lookup", summary: "subject ids for a personal identity code",
            usage: """
                lineage lookup --personal-id X

                Finds subjects by a Finnish or Swedish personal identity code in any accepted spelling,
                through a keyed (HMAC) index. Give --personal-id - to read the code from stdin, so that it
                does not show in process lists.
                """,
            valued: ["--personal-id"], flags: [], run: QueryCommands.lookup),
        Command(
            name: "rebuild", summary: "empty the projections and replay them from the records",
            usage:
                "lineage rebuild\n\nEmpties every projection database and replays the log into them, in one transaction.",
            valued: [], flags: [], run: QueryCommands.rebuild),
        Command(
            name: "stats", summary: "counts, sizes, tree head and durability settings",
            usage: "lineage stats", valued: [], flags: [], run: stats),
    ]

    static let allValued = all.reduce(into: Set<String>()) { $0.formUnion($1.valued) }
    static let allFlags = all.reduce(into: Set<String>(["--version"])) { $0.formUnion($1.flags) }

    static var overview: String {
        let width = all.map(\.name.count).max() ?? 0
        let lines = all.map { "  \($0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0))\($0.summary)" }
        return """
            \(version): a personal-data lineage ledger on LMDB

            USAGE: lineage [--ledger DIR] [--key-file FILE] <command> [options]

            COMMANDS:
            \(lines.joined(separator: "\n"))
              help [COMMAND]  show help

            The ledger is --ledger DIR, else $LINEAGE_LEDGER, else ./ledger. The key file is --key-file,
            else $LINEAGE_KEY_FILE, else keys.json inside the ledger. Output is JSON on stdout.
            Exit codes: 0 ok, 1 failure, 3 integrity violation, 64 usage error, 65 input rejected.
            """
    }

    /// Parses the command line and runs the command; returns the process's exit code.
    static func main(_ raw: [String]) -> ExitCode {
        let arguments: Arguments
        do {
            arguments = try Arguments(raw, valued: allValued, flags: allFlags)
        } catch {
            return usage(error.message, help: overview)
        }
        if arguments.flags.contains("--version") || arguments.command == "version" {
            Terminal.out(version)
            return .ok
        }
        guard let name = arguments.command, name != "help" else {
            if let topic = arguments.positionals.first {
                guard let command = all.first(where: { $0.name == topic }) else {
                    return usage("unknown command \(topic)", help: overview)
                }
                Terminal.out(command.usage)
            } else {
                Terminal.out(overview)
            }
            return .ok
        }
        guard let command = all.first(where: { $0.name == name }) else {
            return usage("unknown command \(name)", help: overview)
        }
        if arguments.flags.contains("--help") {
            Terminal.out(command.usage)
            return .ok
        }
        // Only append takes an argument (its FILE): a stray word is a mistake, such as a ledger path
        // given without --ledger, and must not silently act on the default ledger.
        if arguments.positionals.count > (command.name == "append" ? 1 : 0) {
            // The argument itself is not repeated: it could be an identity code typed in the wrong place.
            return usage("\(name) takes \(name == "append" ? "at most one FILE" : "no arguments")", help: command.usage)
        }
        let allowed = command.valued.union(Arguments.globalValued)
        if let stray = arguments.options.keys.sorted().first(where: { !allowed.contains($0) })
            ?? arguments.flags.sorted().first(where: { !command.flags.contains($0) })
        {
            return usage("\(name) does not take \(stray)", help: command.usage)
        }
        do {
            // Before anything uses OpenSSL: a command that fails while an import's producer or a
            // verification's workers still run must exit with its error, not crash in OpenSSL's
            // clean-up at exit.
            try CryptoLibrary.initializeWithoutExitCleanup()
            let code = try command.run(arguments, Context(arguments))
            // A result that did not reach stdout (a full disk, a closed pipe) is not a success.
            guard code != .ok || !Terminal.outputFailed else {
                Terminal.err("lineage \(name): the result could not be written to stdout")
                return .failure
            }
            return code
        } catch let error as UsageError {
            return usage(error.message, help: command.usage)
        } catch let error as LogError {
            switch error {
            case .sequenceOutOfRange, .treeSizeOutOfRange: return usage(error.description, help: command.usage)
            case .missingNode: return integrityFailure(error.description)
            }
        } catch let error as LMDBError where error.isCorruption {
            return integrityFailure("LMDB reports the ledger file damaged: \(error)")
        } catch {
            Terminal.err("lineage \(name): \(error)")
            return .failure
        }
    }

    static func usage(_ message: String, help: String) -> ExitCode {
        Terminal.err("lineage: \(message)\n\n\(help)")
        return .usage
    }

    static func integrityFailure(_ problem: String) -> ExitCode {
        Terminal.out(OutputValue.object([("ok", .bool(false)), ("problem", .string(problem))]).text)
        Terminal.err("lineage: integrity violation: \(problem)")
        return .integrityViolation
    }

    // MARK: - Commands without a file of their own

    static func initLedger(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        var mapSize: Int?
        if let text = arguments.options["--map-size"] {
            guard let bytes = parseByteCount(text), bytes >= 16 * 1024 else {
                throw UsageError("--map-size must be a byte count of at least 16K, like 65536, 512K, 64M or 1G")
            }
            mapSize = bytes
        }
        let ledger = try Ledger.create(directory: context.ledgerDirectory, keyFile: context.keyFile, mapSize: mapSize)
        Terminal.out(
            OutputValue.object([
                ("ledger", .string(ledger.directory)), ("keyFile", .string(ledger.keyFilePath)),
                ("mapSize", .int(ledger.environment.info.mapSize)),
            ]).text)
        return .ok
    }

    static func parseByteCount(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = text.last, let unit = units[Character(last.uppercased())] {
            return Int(text.dropLast()).map { $0 * unit }
        }
        return Int(text)
    }

    static func verify(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        let ledger = try context.open()
        let progress = ProgressLine(label: "verified")
        let deep = arguments.flags.contains("--deep")
        let result = try ledger.verify(deep: deep) { progress.update(Int($0)) }
        progress.finish()
        switch result {
        case .intact(let head, let nodes):
            Terminal.out(
                OutputValue.object([
                    ("ok", .bool(true)), ("treeSize", .uint(head.size)), ("root", .string(head.root.hex)),
                    ("records", .uint(head.size)), ("nodes", .int(nodes)), ("deep", .bool(deep)),
                ]).text)
            return .ok
        case .damaged(let sequence, let problem):
            Terminal.out(
                OutputValue.object([
                    ("ok", .bool(false)), ("sequence", .uint(sequence)), ("problem", .string(problem)),
                ]).text)
            Terminal.err("lineage: integrity violation at sequence number \(sequence): \(problem)")
            return .integrityViolation
        }
    }

    static func checkpoint(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        let head = try context.open().treeHead()
        Terminal.out(OutputValue.object([("treeSize", .uint(head.size)), ("root", .string(head.root.hex))]).text)
        return .ok
    }

    static func prove(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        guard let sequence = try arguments.uint("--seq") else { throw UsageError("prove needs --seq N") }
        let proof = try context.open().inclusionProof(sequence: sequence, treeSize: try arguments.uint("--tree-size"))
        Terminal.out(
            OutputValue.object([
                ("seq", .uint(proof.sequence)), ("treeSize", .uint(proof.treeSize)),
                ("leafHash", .string(proof.leafHash.hex)), ("path", .array(proof.path.map { .string($0.hex) })),
                ("root", .string(proof.root.hex)),
            ]).text)
        return .ok
    }

    static func consistency(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        guard let first = try arguments.uint("--from") else { throw UsageError("consistency needs --from M") }
        guard first > 0 else { throw UsageError("--from must be at least 1: every tree extends the empty one") }
        let proof = try context.open().consistencyProof(from: first, to: try arguments.uint("--to"))
        Terminal.out(
            OutputValue.object([
                ("from", .uint(proof.first.size)), ("to", .uint(proof.second.size)),
                ("fromRoot", .string(proof.first.root.hex)), ("toRoot", .string(proof.second.root.hex)),
                ("path", .array(proof.path.map { .string($0.hex) })),
            ]).text)
        return .ok
    }

    static func stats(_ arguments: Arguments, _ context: Context) throws -> ExitCode {
        let stats = try context.open().statistics()
        let databases: [(String, OutputValue)] = stats.databases.map { usage in
            (
                usage.name,
                .object(
                    [
                        ("entries", .int(usage.entries)), ("depth", .int(usage.statistics.depth)),
                        (
                            "pages",
                            .int(
                                usage.statistics.branchPages + usage.statistics.leafPages
                                    + usage.statistics.overflowPages)
                        ),
                        ("bytes", .int(usage.statistics.bytes)),
                    ] + (usage.runs.map { [("runs", OutputValue.int($0))] } ?? []))
            )
        }
        let records = stats.databases.first { $0.name == AppendOnlyLog.recordsDatabaseName }?.statistics.entries ?? 0
        Terminal.out(
            OutputValue.object([
                ("treeSize", .uint(stats.head.size)), ("root", .string(stats.head.root.hex)),
                ("records", .int(records)),
                ("databases", .object(databases)),
                ("fileBytes", .int(stats.fileBytes)), ("mapSize", .int(stats.environment.mapSize)),
                ("usedBytes", .int(stats.environment.usedBytes)), ("freeBytes", .int(stats.freeBytes)),
                ("pageSize", .int(stats.environment.pageSize)),
                (
                    "readers",
                    .object([
                        ("max", .int(stats.environment.maxReaders)), ("inUse", .int(stats.environment.readersInUse)),
                    ])
                ),
                (
                    "durability",
                    .object([
                        ("fullSync", .bool(stats.durability.isFullSync)), ("noSync", .bool(stats.durability.noSync)),
                        ("noMetaSync", .bool(stats.durability.noMetaSync)),
                        ("mapAsync", .bool(stats.durability.mapAsync)),
                        ("writeMap", .bool(stats.durability.writeMap)),
                    ])
                ),
            ]).text)
        return .ok
    }
}
