import Foundation
import Testing

/// The JSON Schemas checked by an independent validator (Python's jsonschema, with format checking)
/// in a virtual environment under .build: the sample's events are accepted, each labelled invalid
/// event is rejected by the rule it breaks, and every provenance and recipients output of the sample
/// validates.
@Suite("Schemas, checked independently", .serialized)
struct SchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Runs a program; its exit status and stdout.
    static func run(_ executable: String, _ arguments: [String], in directory: String = root) throws -> (Int32, String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
    }

    static func python() throws -> String {
        let (status, output) = try run("/bin/bash", [root + "/tools/schema-venv"])
        try #require(status == 0, "tools/schema-venv failed")
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func sampleEventsAreValidAndLabelledInvalidEventsAreNot() throws {
        let python = try Self.python()
        let (events, eventProblems) = try Self.run(
            python, ["tools/schema-check.py", "events", "samples/demo-events.ndjson"])
        #expect(events == 0, "\(eventProblems)")
        let (invalid, invalidProblems) = try Self.run(
            python, ["tools/schema-check.py", "invalid", "tests/schema-cases/invalid-events.ndjson"])
        #expect(invalid == 0, "\(invalidProblems)")
        let cases = try String(contentsOfFile: Self.root + "/tests/schema-cases/invalid-events.ndjson", encoding: .utf8)
        #expect(cases.split(separator: "\n").count >= 20)
    }

    @Test func theSchemasAreWhatTheGeneratorMakesFromTheVocabulary() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("schemas-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch + "/schemas", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try FileManager.default.copyItem(
            atPath: Self.root + "/schemas/vocabulary", toPath: scratch + "/schemas/vocabulary")
        let (status, _) = try Self.run(
            "/usr/bin/env", ["python3", Self.root + "/tools/schemas/generate.py"], in: scratch)
        #expect(status == 0)
        for path in [
            "events/data.ingested.json", "events/data.disclosed.json", "events/party.registered.json",
            "events/case.opened.json", "events/case.closed.json", "outputs/provenance.json", "outputs/recipients.json",
        ] {
            let generated = try String(contentsOfFile: scratch + "/schemas/" + path, encoding: .utf8)
            let committed = try String(contentsOfFile: Self.root + "/schemas/" + path, encoding: .utf8)
            #expect(generated == committed, "schemas/\(path) is stale: run tools/schemas/generate.py")
        }
    }

    @Test func everyProvenanceAndRecipientsOutputOfTheSampleValidates() throws {
        let python = try Self.python()
        try Sandbox.with { sandbox in
            try sandbox.initLedger()
            let appended = try sandbox.run(["append", Self.root + "/samples/demo-events.ndjson"])
            try #require(appended.exitCode == 0, "\(appended.summary)")
            var files: [String: [String]] = [:]
            for person in 1...30 {
                let subject = String(format: "person-%04d", person)
                for command in ["provenance", "recipients"] {
                    let result = try sandbox.run([command, "--subject", subject])
                    #expect(result.exitCode == 0, "\(result.summary)")
                    let text = result.stdout.trimmingCharacters(in: .newlines)
                    files[command, default: []].append(try sandbox.write([text], to: "\(command)-\(subject).json"))
                }
            }
            let field = try sandbox.run(["recipients", "--subject", "person-0001", "--field", "address"])
            files["recipients", default: []].append(
                try sandbox.write([field.stdout.trimmingCharacters(in: .newlines)], to: "field.json"))
            for (command, paths) in files {
                let (status, problems) = try Self.run(python, ["tools/schema-check.py", "output", command] + paths)
                #expect(status == 0, "\(command): \(problems)")
            }
        }
    }
}
