import Foundation
import Testing

/// The permission bits of a file, from FileManager's attributes (not from a failed read: CI runs as root).
func permissionBits(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    let number = try #require(attributes[.posixPermissions] as? NSNumber, "no permissions for \(path)")
    return number.intValue & 0o777
}

@Suite("command line: help, version, usage errors, init")
struct CommandLineTests {
    static let commands = ["init", "append", "verify", "checkpoint", "prove", "consistency", "stats"]

    @Test("help, --help on every command, and --version exit 0 without touching a ledger")
    func helpAndVersion() throws {
        try Sandbox.with { box in
            let overview = try box.run(["help"])
            #expect(overview.exitCode == 0, "\(overview.summary)")
            #expect(overview.stdout.contains("USAGE"), "\(overview.summary)")
            // The commands the overview lists, and at least the ones this suite knows.
            var listed: [String] = []
            var inCommands = false
            for line in overview.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("COMMANDS") {
                    inCommands = true
                    continue
                }
                guard inCommands else { continue }
                guard line.hasPrefix("  "), let word = line.split(separator: " ").first else { break }
                if word != "help" { listed.append(String(word)) }
            }
            for command in Self.commands {
                #expect(listed.contains(command), "help does not list \(command): \(overview.stdout)")
            }
            for command in Set(listed).union(Self.commands).sorted() {
                for flag in ["--help", "-h"] {
                    let help = try box.run([command, flag])
                    #expect(help.exitCode == 0, "\(help.summary)")
                    #expect(help.stdout.contains("lineage \(command)"), "\(help.summary)")
                    #expect(help.stderr.isEmpty, "\(help.summary)")
                }
                let topic = try box.run(["help", command])
                #expect(topic.exitCode == 0, "\(topic.summary)")
                #expect(topic.stdout.contains("lineage \(command)"), "\(topic.summary)")
            }
            for arguments in [["--help"], ["-h"]] {
                let help = try box.run(arguments)
                #expect(help.exitCode == 0, "\(help.summary)")
                #expect(help.stdout.contains("USAGE"), "\(help.summary)")
            }
            let version = try box.run(["--version"])
            #expect(version.exitCode == 0, "\(version.summary)")
            let versionLine = version.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(
                versionLine.hasPrefix("lineage ") && versionLine.contains(where: \.isNumber), "\(version.summary)")
            #expect(
                !FileManager.default.fileExists(atPath: box.ledger), "help or --version created the ledger directory")
        }
    }

    @Test("unknown commands and options, missing or bad values: exit 64, nothing changed")
    func usageErrors() throws {
        try Sandbox.with { box in
            try box.initLedger()
            let file = try box.write(Fixtures.events(count: 5, seed: 0x7777).map(\.line), to: "events.ndjson")
            let appended = try box.run(["append", file])
            #expect(appended.exitCode == 0, "\(appended.summary)")
            let before = try box.checkpoint()
            let usage: [[String]] = [
                ["frobnicate"], ["help", "frobnicate"],
                ["append", "--frobnicate", file], ["checkpoint", "--frobnicate"], ["--frobnicate", "checkpoint"],
                ["verify", "--seq", "1"], ["checkpoint", "--atomic"], ["init", "extra"],
                ["prove"], ["prove", "--seq"], ["prove", "--seq", "abc"], ["prove", "--seq", "1", "--tree-size", "x"],
                ["consistency"], ["consistency", "--from", "1.5"],
                ["append", "--batch-size", "0", file], ["append", "--batch-size", "many", file],
                ["append", file, file],
                ["init", "--map-size", "1K"], ["init", "--map-size", "lots"],
            ]
            for arguments in usage {
                let result = try box.run(arguments)
                #expect(result.exitCode == 64, "\(result.summary)")
                #expect(result.stdout.isEmpty, "\(result.summary)")
                #expect(!result.stderr.isEmpty, "\(result.summary)")
            }
            let unknown = try box.run(["frobnicate"])
            #expect(unknown.stderr.contains("frobnicate"), "the error names the unknown command: \(unknown.summary)")
            let missingFile = try box.run(["append", box.path("no-such-file.ndjson")])
            #expect(missingFile.exitCode != 0 && missingFile.exitCode != nil, "\(missingFile.summary)")
            let after = try box.checkpoint()
            #expect(after.size == before.size && after.root == before.root)
        }
    }

    @Test("a stray positional argument is a usage error (64) on every command")
    func strayPositionalArguments() throws {
        try Sandbox.with { box in
            try box.initLedger()
            let file = try box.write(Fixtures.events(count: 5, seed: 0x7778).map(\.line), to: "events.ndjson")
            let appended = try box.run(["append", file])
            #expect(appended.exitCode == 0, "\(appended.summary)")
            for arguments in [["init", "extra"], ["append", file, "extra"]] {
                let result = try box.run(arguments)
                #expect(result.exitCode == 64, "\(result.summary)")
            }
            // `lineage verify other-ledger` must not silently verify the default ledger instead.
            for arguments in [
                ["verify", "extra"], ["checkpoint", "extra"], ["stats", "extra"], ["prove", "--seq", "0", "extra"],
                ["consistency", "--from", "1", "extra"], ["rebuild", "extra"],
                ["provenance", "--subject", "s", "extra"],
                ["recipients", "--subject", "s", "extra"], ["lookup", "--personal-id", "x", "extra"],
            ] {
                let result = try box.run(arguments)
                #expect(result.exitCode == 64, "\(result.summary)")
            }
        }
    }

    @Test("init twice fails and leaves the ledger as it was; the key file is created with mode 0600")
    func initTwice() throws {
        try Sandbox.with { box in
            let created = try box.run(["init"], umask: "000")
            #expect(created.exitCode == 0, "\(created.summary)")
            let info = try created.json()
            let keyPath = box.ledger + "/keys.json"
            #expect(JSONHelp.string(info["keyFile"]) == keyPath, "\(info)")
            #expect(JSONHelp.string(info["ledger"]) == box.ledger, "\(info)")
            #expect((JSONHelp.int(info["mapSize"]) ?? 0) > 0, "\(info)")
            let keyMode = try permissionBits(keyPath)
            #expect(keyMode == 0o600, "keys.json has mode \(String(keyMode, radix: 8)) under umask 000")
            let directoryMode = try permissionBits(box.ledger)
            #expect(
                directoryMode & 0o077 == 0,
                "the ledger directory has mode \(String(directoryMode, radix: 8)) under umask 000")

            let file = try box.write(Fixtures.events(count: 20, seed: 0x8888).map(\.line), to: "events.ndjson")
            let appended = try box.run(["append", file])
            #expect(appended.exitCode == 0, "\(appended.summary)")
            let before = try box.checkpoint()
            #expect(before.size == 20)
            let keys = try Data(contentsOf: URL(fileURLWithPath: keyPath))
            let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)

            let again = try box.run(["init"])
            #expect(again.exitCode != 0 && again.exitCode != nil, "\(again.summary)")
            #expect(again.stdout.isEmpty, "\(again.summary)")
            #expect(!again.stderr.isEmpty, "\(again.summary)")
            let otherKey = box.path("other-keys.json")
            let elsewhere = try box.run(["init", "--key-file", otherKey])
            #expect(elsewhere.exitCode != 0 && elsewhere.exitCode != nil, "\(elsewhere.summary)")
            #expect(!FileManager.default.fileExists(atPath: otherKey), "a refused init created a key file")

            let after = try box.checkpoint()
            #expect(after.size == before.size && after.root == before.root)
            #expect(try Data(contentsOf: URL(fileURLWithPath: keyPath)) == keys, "init overwrote the key file")
            let attributesAfter = try FileManager.default.attributesOfItem(atPath: keyPath)
            #expect(attributesAfter[.modificationDate] as? Date == attributes[.modificationDate] as? Date)
            #expect(try permissionBits(keyPath) == 0o600)
            let verify = try box.run(["verify"])
            #expect(verify.exitCode == 0, "\(verify.summary)")

            // A new ledger whose key file already exists is refused before anything is created.
            let second = box.path("second-ledger")
            let clash = try box.run(["--ledger", second, "init", "--key-file", keyPath], withLedger: false)
            #expect(clash.exitCode != 0 && clash.exitCode != nil, "\(clash.summary)")
            #expect(!FileManager.default.fileExists(atPath: second + "/data.mdb"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: keyPath)) == keys)
        }
    }

    @Test("a key file outside the ledger: mode 0600, found through --key-file or LINEAGE_KEY_FILE")
    func keyFileOutsideTheLedger() throws {
        try Sandbox.with { box in
            let keyPath = box.path("secret-keys.json")
            let created = try box.run(["init", "--key-file", keyPath], umask: "022")
            #expect(created.exitCode == 0, "\(created.summary)")
            #expect(try permissionBits(keyPath) == 0o600)
            #expect(!FileManager.default.fileExists(atPath: box.ledger + "/keys.json"))
            let withoutKey = try box.run(["checkpoint"])
            #expect(withoutKey.exitCode != 0 && withoutKey.exitCode != nil, "\(withoutKey.summary)")
            let explicit = try box.run(["--key-file", keyPath, "checkpoint"])
            #expect(explicit.exitCode == 0, "\(explicit.summary)")
            let fromEnvironment = try box.run(["checkpoint"], environment: ["LINEAGE_KEY_FILE": keyPath])
            #expect(fromEnvironment.exitCode == 0, "\(fromEnvironment.summary)")
            #expect(JSONHelp.int(try fromEnvironment.json()["treeSize"]) == 0)
        }
    }

    @Test("the ledger comes from --ledger, else LINEAGE_LEDGER; a missing ledger is not created by reading it")
    func ledgerLocation() throws {
        try Sandbox.with { box in
            let fromEnvironment = try box.run(["init"], withLedger: false, environment: ["LINEAGE_LEDGER": box.ledger])
            #expect(fromEnvironment.exitCode == 0, "\(fromEnvironment.summary)")
            #expect(FileManager.default.fileExists(atPath: box.ledger + "/data.mdb"))
            let file = try box.write(Fixtures.events(count: 3, seed: 0x9999).map(\.line), to: "events.ndjson")
            let appended = try box.run(
                ["append", file], withLedger: false, environment: ["LINEAGE_LEDGER": box.ledger])
            #expect(appended.exitCode == 0, "\(appended.summary)")
            #expect(try box.checkpoint().size == 3)

            // --ledger wins over the environment.
            let missing = box.path("missing-ledger")
            let overridden = try box.run(
                ["--ledger", missing, "checkpoint"], withLedger: false, environment: ["LINEAGE_LEDGER": box.ledger])
            #expect(overridden.exitCode != 0 && overridden.exitCode != nil, "\(overridden.summary)")
            for command in [["checkpoint"], ["verify"], ["stats"], ["append", file]] {
                let result = try box.run(["--ledger", missing] + command, withLedger: false)
                #expect(result.exitCode != 0 && result.exitCode != nil, "\(result.summary)")
            }
            #expect(!FileManager.default.fileExists(atPath: missing), "reading a missing ledger created it")
        }
    }
}
