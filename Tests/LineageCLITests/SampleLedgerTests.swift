import Foundation
import Testing

@testable import LedgerStore

/// The shipped sample loaded through the binary, then searched for its personal values, rebuilt,
/// and queried by identity code.
@Suite("The sample ledger", .serialized)
struct SampleLedgerTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let samplePath = packageRoot + "/samples/demo-events.ndjson"

    /// Every personal value in the sample: the `value` of every ingested item, with its field.
    static func personalValues() throws -> [(field: String, value: String)] {
        let text = try String(contentsOfFile: samplePath, encoding: .utf8)
        var values: [(String, String)] = []
        for line in text.split(separator: "\n") {
            let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard event["type"] as? String == "data.ingested", let payload = event["payload"] as? [String: Any],
                let items = payload["items"] as? [[String: Any]]
            else { continue }
            for item in items {
                guard let field = item["field"] as? String else { continue }
                if let value = item["value"] as? String { values.append((field, value)) }
            }
        }
        return values
    }

    /// Loads the sample into a fresh ledger with the processes' temporary files in `tmp/`.
    func loaded(_ sandbox: Sandbox) throws -> [String: String] {
        let tmp = sandbox.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let environment = ["TMPDIR": tmp]
        let created = try sandbox.run(["init"], environment: environment)
        try #require(created.exitCode == 0, "\(created.summary)")
        let appended = try sandbox.run(["append", Self.samplePath], environment: environment)
        try #require(appended.exitCode == 0, "the sample must load cleanly: \(appended.summary)")
        for command in [["stats"], ["verify"], ["rebuild"]] {
            let result = try sandbox.run(command, environment: environment)
            #expect(result.exitCode == 0, "\(result.summary)")
        }
        return environment
    }

    /// The byte strings a value could be stored as if it leaked: UTF-8, UTF-16 either way round,
    /// base64 at each of the three alignments, hex in either case.
    static func spellings(of value: String) -> [[UInt8]] {
        let utf8 = Array(value.utf8)
        var forms: [[UInt8]] = [utf8]
        forms.append(value.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] })
        forms.append(value.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] })
        for shift in 0..<3 {
            // The base64 characters that depend only on the value's bytes, whatever precedes them.
            let padded = Data([UInt8](repeating: 0, count: shift) + utf8).base64EncodedString()
            let stable = Array(padded.utf8).dropFirst(shift == 0 ? 0 : 4).dropLast(4)
            if stable.count >= 6 { forms.append(Array(stable)) }
        }
        forms.append(Array(Hex.encode(utf8).utf8))
        forms.append(Array(Hex.encode(utf8).uppercased().utf8))
        return forms
    }

    static func files(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        return enumerator.compactMap { ($0 as? String).map { directory + "/" + $0 } }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    @Test func noPersonalValueIsAtRestInAnyForm() throws {
        let values = try Self.personalValues()
        try #require(values.count >= 50, "the sample should carry a realistic amount of personal data")
        try Sandbox.with { sandbox in
            _ = try loaded(sandbox)
            // This process never opens the LMDB environment, so reading its files cannot disturb
            // LMDB's locks; every lineage process has exited.
            let files = Self.files(under: sandbox.ledger) + Self.files(under: sandbox.path("tmp"))
            #expect(files.contains(sandbox.ledger + "/data.mdb"))
            let contents = try files.map { ($0, try Data(contentsOf: URL(fileURLWithPath: $0))) }
            var needles: [(String, [UInt8])] = []
            for (field, value) in values where value.utf8.count >= 6 {
                for form in Self.spellings(of: value) { needles.append(("\(field) value", form)) }
                if field == "personal_identity_code" {
                    for spelling in [value, value.uppercased(), value.lowercased(), value.filter { $0.isNumber }] {
                        let digest = try SHA256Hasher.digest(of: Array(spelling.utf8))
                        needles.append(("unkeyed SHA-256 of an identity code", digest.bytes))
                        needles.append(("unkeyed SHA-256 of an identity code, hex", Array(digest.hex.utf8)))
                    }
                }
            }
            // The search itself works: it finds the values in the sample they came from.
            let sample = try Data(contentsOf: URL(fileURLWithPath: Self.samplePath))
            let plainValues = values.filter { $0.value.utf8.count >= 6 }.enumerated().map {
                ("\($0.offset)", Array($0.element.value.utf8))
            }
            #expect(Set(Self.needlesFound(plainValues, in: sample)) == Set(plainValues.map(\.0)))
            // The search itself finds a needle wherever it is, at the start, inside and at the end.
            let probe = Data([0, 0] + Array("Mannerheimintie".utf8) + [0] + Array("000000".utf8))
            #expect(
                Self.needlesFound([("a", Array("Mannerheim".utf8)), ("b", Array("000000".utf8))], in: probe) == [
                    "a", "b",
                ])
            #expect(Self.needlesFound([("c", Array("heimintiX".utf8))], in: probe).isEmpty)
            for (path, bytes) in contents {
                for what in Self.needlesFound(needles, in: bytes) { Issue.record("a \(what) is readable in \(path)") }
            }
        }
    }

    /// The names of the `needles` that occur in `haystack`, in one pass over it: the data file is as
    /// long as its map (tens of MiB, mostly zeros), too long to search once per needle. Needles are
    /// looked up by their first six bytes, so each must have at least six.
    static func needlesFound(_ needles: [(String, [UInt8])], in haystack: Data) -> [String] {
        precondition(needles.allSatisfy { $0.1.count >= 6 }, "a needle shorter than six bytes")
        func key<C: Collection<UInt8>>(_ bytes: C) -> UInt64 { bytes.prefix(6).reduce(0) { $0 << 8 | UInt64($1) } }
        let byKey = Dictionary(grouping: needles.indices) { key(needles[$0].1) }
        var found = Set<Int>()
        haystack.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var window: UInt64 = 0
            for end in bytes.indices {
                window = (window << 8 | UInt64(bytes[end])) & 0xFFFF_FFFF_FFFF
                guard end >= 5, window != 0, let candidates = byKey[window] else { continue }
                let start = end - 5
                for index in candidates where !found.contains(index) {
                    let needle = needles[index].1
                    if start + needle.count <= bytes.count,
                        needle.elementsEqual(bytes[start..<start + needle.count])
                    {
                        found.insert(index)
                    }
                }
            }
        }
        return found.sorted().map { needles[$0].0 }
    }

    /// SHA-256 of `mdb_dump -s NAME` of each projection database, run as a separate process.
    /// Each projection's logical content as `mdb_dump` shows it, decoded as docs/FORMAT.md says and
    /// digested: for a database kept as sorted runs, the directory and filters are left out and each
    /// key loses its run number, so two layouts of the same entries (a rebuild merges runs) compare
    /// equal, while any entry that differs does not.
    func projectionDigests(_ sandbox: Sandbox) throws -> [String: String] {
        var digests: [String: String] = [:]
        let runLayout: Set<String> = ["projection.provenance", "projection.disclosures"]
        for name in ["projection.parties", "projection.provenance", "projection.disclosures", "projection.identity"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["mdb_dump", "-s", name, sandbox.ledger]
            let output = sandbox.path("dump-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let dump = try String(contentsOfFile: output, encoding: .utf8)
            // After HEADER=END, lines alternate key and value (hex, one leading space) until DATA=END.
            let lines = dump.split(separator: "\n").drop { $0 != "HEADER=END" }.dropFirst().prefix { $0 != "DATA=END" }
                .map { $0.trimmingCharacters(in: .whitespaces) }
            var entries: [String] = []
            for index in stride(from: 0, to: lines.count - 1, by: 2) {
                var key = lines[index]
                if runLayout.contains(name) {
                    if key.hasPrefix("00000000") { continue }  // the directory and the filters
                    key = String(key.dropFirst(8))  // the run number
                }
                entries.append(key + " " + lines[index + 1])
            }
            #expect(entries.count > 3, "\(name) should not be empty")
            digests[name] = try SHA256Hasher.digest(of: Array(entries.sorted().joined(separator: "\n").utf8)).hex
        }
        return digests
    }

    @Test func rebuildReplaysByteIdenticalProjections() throws {
        try Sandbox.with { sandbox in
            let environment = try loaded(sandbox)
            let before = try projectionDigests(sandbox)
            let rebuilt = try sandbox.run(["rebuild"], environment: environment)
            #expect(rebuilt.exitCode == 0, "\(rebuilt.summary)")
            #expect(try projectionDigests(sandbox) == before)
        }
    }

    @Test func lookupFindsEveryPersonInEverySpelling() throws {
        let codes = try Self.personalValues().filter { $0.field == "personal_identity_code" }.map(\.value)
        try #require(codes.count >= 10)
        try Sandbox.with { sandbox in
            _ = try loaded(sandbox)
            for code in Set(codes).sorted() {
                var spellings = [code, code.lowercased(), " \(code) "]
                let digits = code.filter { $0.isNumber }
                // A Swedish number written with its century (a Finnish code never has 12 digits): every
                // other accepted form of it too.
                if digits.count == 12 {
                    let ten = String(digits.suffix(10))
                    spellings += [
                        ten, String(ten.prefix(6)) + "-" + String(ten.suffix(4)), digits,
                        String(digits.prefix(8)) + "-" + String(digits.suffix(4)),
                    ]
                }
                var found: [[String]] = []
                for spelling in spellings {
                    let result = try sandbox.json(["lookup", "--personal-id", spelling])
                    found.append(result["subjects"] as? [String] ?? [])
                }
                #expect(found.allSatisfy { !$0.isEmpty && $0 == found[0] }, "\(found)")
                let stdin = try sandbox.write([code], to: "code.txt")
                let fromStdin = try sandbox.run(["lookup", "--personal-id", "-"], stdinPath: stdin)
                #expect((try fromStdin.json()["subjects"] as? [String]) == found[0])
            }
            #expect((try sandbox.json(["lookup", "--personal-id", "010101A123N"])["subjects"] as? [String]) == [])
            #expect((try sandbox.json(["lookup", "--personal-id", "19811228-9874"])["subjects"] as? [String]) == [])
        }
    }
}
