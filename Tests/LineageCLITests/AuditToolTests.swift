import Foundation
import Testing

/// The ledger as outside tools see it: LMDB's own `mdb_stat`, and the independent root
/// recomputation that follows docs/FORMAT.md. Both run as separate processes, so nothing in this
/// process touches the LMDB files.
@Suite("Outside tools read the ledger")
struct AuditToolTests {
    @Test func mdbStatListsTheDatabasesFormatMdNames() throws {
        let run = try AuditRun()
        let output = try run.tool("/usr/bin/env", ["mdb_stat", "-a", run.ledger])
        let format = try String(contentsOfFile: AuditRun.packageRoot + "/docs/FORMAT.md", encoding: .utf8)
        for database in [
            "log.records", "log.merkle", "ledger.idempotency", "ledger.meta", "vault.units", "vault.keys",
            "projection.parties", "projection.provenance", "projection.disclosures", "projection.identity",
        ] {
            #expect(output.contains("Status of \(database)"), "mdb_stat does not list \(database)")
            #expect(format.contains("`\(database)`"), "FORMAT.md does not describe \(database)")
        }
        let stats = try run.json(["stats"])
        let durability = try #require(stats["durability"] as? [String: Any])
        #expect(durability["fullSync"] as? Bool == true)
        #expect(durability["noSync"] as? Bool == false)
    }

    @Test func anIndependentRecomputationFromTheFileMatchesTheCheckpoint() throws {
        let run = try AuditRun()
        let checkpoint = try run.json(["checkpoint"])
        let recomputed =
            try JSONSerialization.jsonObject(
                with: Data(try run.tool(AuditRun.packageRoot + "/tools/audit/recompute-root.py", [run.ledger]).utf8))
            as? [String: Any]
        #expect(recomputed?["treeSize"] as? Int == 37)
        #expect(recomputed?["root"] as? String == checkpoint["root"] as? String)
        #expect((recomputed?["problems"] as? [Any])?.isEmpty == true)
    }
}

/// A ledger with 37 events in a directory of its own, and a way to run tools on it.
private final class AuditRun {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    let directory: String
    let ledger: String

    static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["LINEAGE_BIN"] { return explicit }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = url.appendingPathComponent("lineage").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            url.deleteLastPathComponent()
        }
        return packageRoot + "/.build/debug/lineage"
    }

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("lineage-audit-\(UUID().uuidString)").path
        ledger = directory + "/ledger"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let events = (1...37).map { index in
            #"{"id":"\#(UUID().uuidString)","type":"party.registered","occurredAt":"2026-02-01T09:15:00+02:00","schemaVersion":1,"payload":{"party":"party-\#(index)","kind":"processor","name":"Processor \#(index) Oy","country":"FI"}}"#
        }
        try (events.joined(separator: "\n") + "\n").write(
            toFile: directory + "/events.ndjson", atomically: true, encoding: .utf8)
        _ = try tool(Self.binary, ["--ledger", ledger, "init"])
        _ = try tool(Self.binary, ["--ledger", ledger, "append", directory + "/events.ndjson"])
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func json(_ arguments: [String]) throws -> [String: Any] {
        let output = try tool(Self.binary, ["--ledger", ledger] + arguments)
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    /// Runs a program to completion; its stdout, which must be small. Fails the test on a non-zero exit.
    func tool(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = directory + "/out-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(path) \(arguments) exited \(process.terminationStatus)")
        return try String(contentsOfFile: output, encoding: .utf8)
    }
}
