import Foundation
import Lineage
import Testing

/// The stored records' bytes, read back through the library (the environment is closed on return).
func storedRecords(ledger path: String, count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws
    -> [[UInt8]]
{
    let ledger = try Ledger(directory: path)
    let records = try (0..<count).map { sequence in
        try #require(try ledger.record(at: UInt64(sequence)), "no record \(sequence)", sourceLocation: sourceLocation)
            .encoded()
    }
    #expect(try ledger.record(at: UInt64(count)) == nil, "a record past \(count)", sourceLocation: sourceLocation)
    return records
}

/// Why a stored record does not hold `expected` as it should (nil when it does): the envelope as
/// sent, the id in lowercase, the payload's members other than the items' values as sent, the items'
/// fields in order, and no item value in plaintext anywhere in the record (values are sealed, see
/// docs/EVENTS.md). An event without items is stored in exactly its canonical form.
func storedEventProblem(_ record: [UInt8], expected: TestEvent) -> String? {
    guard let decoded = EventRecord(decoding: record) else { return "not a well-formed record" }
    let text = String(decoding: decoded.canonicalEvent, as: UTF8.self)
    let items = expected.items
    if items.isEmpty {
        return decoded.canonicalEvent == expected.canonical
            ? nil : "stored \(text), expected \(String(decoding: expected.canonical, as: UTF8.self))"
    }
    // Values of ten bytes or more are distinctive (short amounts could occur in ids by chance).
    for item in items where item.value.utf8.count >= 10 && record.contains(subsequence: Array(item.value.utf8)) {
        return "the \(item.field) value is stored in plaintext"
    }
    guard let event = try? JSONHelp.object(text), let payload = event["payload"] as? [String: Any] else {
        return "the stored event is not a JSON object with a payload: \(text)"
    }
    if JSONHelp.string(event["id"]) != expected.canonicalID || JSONHelp.string(event["type"]) != expected.type
        || JSONHelp.string(event["occurredAt"]) != expected.occurredAt
        || JSONHelp.string(event["subject"]) != expected.subject
        || JSONHelp.int(event["schemaVersion"]) != expected.schemaVersion
    {
        return "the envelope differs: \(text)"
    }
    for (key, value) in expected.payload where key != "items" {
        guard case .string(let string) = value, JSONHelp.string(payload[key]) == string else {
            return "payload.\(key) differs: \(text)"
        }
    }
    guard let storedItems = payload["items"] as? [[String: Any]], storedItems.count == items.count else {
        return "the items differ: \(text)"
    }
    for (stored, item) in zip(storedItems, items) {
        if JSONHelp.string(stored["field"]) != item.field || stored["value"] != nil {
            return "an item is not stored as its field and a sealed reference: \(text)"
        }
    }
    return nil
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        let first = needle[0]
        var index = 0
        while index <= count - needle.count {
            if self[index] == first && self[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}

/// The summary `append` prints, checked field by field.
struct AppendOutput {
    let appended: Int?
    let duplicates: Int?
    let rejected: Int?
    let treeSize: Int?
    let root: String?
    let object: [String: Any]

    init(_ object: [String: Any]) {
        self.object = object
        appended = JSONHelp.int(object["appended"])
        duplicates = JSONHelp.int(object["duplicates"])
        rejected = JSONHelp.int(object["rejected"])
        treeSize = JSONHelp.int(object["treeSize"])
        root = JSONHelp.string(object["root"])
    }
}

@Suite("append, verify, checkpoint, prove and consistency")
struct AppendAndProofTests {
    @Test("10,000 events: summary, stats, verify, checkpoint and proofs checked by the RFC 9162 algorithms")
    func tenThousandEvents() throws {
        try Sandbox.with { box in
            let count = 10_000
            let events = Fixtures.events(count: count, seed: 0x1111)
            let file = try box.write(events.map(\.line), to: "events.ndjson")
            try box.initLedger()

            let append = try box.run(["append", file])
            #expect(append.exitCode == 0, "\(append.summary)")
            #expect(append.stderr.isEmpty, "append wrote to stderr without a terminal: \(append.stderr)")
            let summaryObject = try append.json()
            #expect(Set(summaryObject.keys) == ["appended", "duplicates", "rejected", "treeSize", "root"])
            let summary = AppendOutput(summaryObject)
            #expect(summary.appended == count)
            #expect(summary.duplicates == 0)
            #expect(summary.rejected == 0)
            #expect(summary.treeSize == count)
            let root = try #require(summary.root)
            #expect(JSONHelp.isHash(root), "root \(root)")

            // stats
            let stats = try box.json(["stats"])
            #expect(JSONHelp.int(stats["treeSize"]) == count)
            #expect(JSONHelp.int(stats["records"]) == count)
            #expect(JSONHelp.string(stats["root"]) == root)
            let databases = try #require(stats["databases"] as? [String: Any], "stats has no databases: \(stats)")
            func entries(_ name: String) -> Int? {
                JSONHelp.int((databases[name] as? [String: Any])?["entries"])
            }
            #expect(entries("log.records") == count)
            #expect(entries("log.merkle") == 2 * count - count.nonzeroBitCount, "one node per perfect subtree")
            #expect(entries("ledger.idempotency") == count)
            #expect((entries("ledger.meta") ?? 0) >= 2, "ledger.meta holds the format and the key check")
            let durability = try #require(stats["durability"] as? [String: Any])
            #expect(JSONHelp.bool(durability["fullSync"]) == true, "durability: \(durability)")
            #expect(JSONHelp.bool(durability["noSync"]) == false)
            #expect(JSONHelp.bool(durability["noMetaSync"]) == false)
            #expect((JSONHelp.int(stats["mapSize"]) ?? 0) > 0)

            // verify and checkpoint
            let verify = try box.run(["verify"])
            #expect(verify.exitCode == 0, "\(verify.summary)")
            let verified = try verify.json()
            #expect(JSONHelp.bool(verified["ok"]) == true)
            #expect(JSONHelp.int(verified["treeSize"]) == count)
            #expect(JSONHelp.string(verified["root"]) == root)
            let head = try box.checkpoint()
            #expect(head.size == count)
            #expect(head.root == root)

            // The records as stored: each input event in input order, its personal values sealed.
            let records = try storedRecords(ledger: box.ledger, count: count)
            var problems: [String] = []
            for (sequence, record) in records.enumerated() {
                if let problem = storedEventProblem(record, expected: events[sequence]) {
                    problems.append("record \(sequence): \(problem)")
                    if problems.count == 5 { break }
                }
            }
            #expect(problems.isEmpty, "\(problems)")
            let leaves = try records.map(RFC9162.leafHash)
            #expect(JSONHelp.hex(try RFC9162.root(leaves[...])) == root, "the root recomputed from the records")

            // Inclusion proofs, default tree size and explicit ones.
            let proofs: [(seq: Int, size: Int?)] = [
                (0, nil), (1, nil), (4_999, nil), (8_191, nil), (8_192, nil), (9_998, nil), (9_999, nil),
                (0, 1), (5, 7), (6, 7), (1_000, 1_001), (4_097, 8_193), (8_191, 8_192), (9_998, 9_999), (3, 10_000),
            ]
            for (sequence, size) in proofs {
                var arguments = ["prove", "--seq", String(sequence)]
                if let size { arguments += ["--tree-size", String(size)] }
                let proof = try box.json(arguments)
                let treeSize = size ?? count
                #expect(JSONHelp.int(proof["seq"]) == sequence, "\(arguments)")
                #expect(JSONHelp.int(proof["treeSize"]) == treeSize, "\(arguments)")
                let leafHex = try #require(JSONHelp.string(proof["leafHash"]))
                let rootHex = try #require(JSONHelp.string(proof["root"]))
                let pathHex = try #require(proof["path"] as? [Any]).compactMap(JSONHelp.string)
                #expect(JSONHelp.isHash(leafHex) && JSONHelp.isHash(rootHex) && pathHex.allSatisfy(JSONHelp.isHash))
                #expect(leafHex == JSONHelp.hex(leaves[sequence]), "leafHash is SHA-256(0x00 ‖ record \(sequence))")
                let expectedRoot = try RFC9162.root(leaves[0..<treeSize])
                #expect(rootHex == JSONHelp.hex(expectedRoot), "\(arguments): root of the first \(treeSize) leaves")
                if size == nil { #expect(rootHex == root) }
                let path = pathHex.compactMap(JSONHelp.hexBytes)
                let leaf = try #require(JSONHelp.hexBytes(leafHex))
                let proofRoot = try #require(JSONHelp.hexBytes(rootHex))
                #expect(
                    try RFC9162.verifyInclusion(
                        leafIndex: UInt64(sequence), treeSize: UInt64(treeSize), leafHash: leaf, path: path,
                        root: expectedRoot), "\(arguments): the path does not verify")
                #expect(
                    try MerkleProofVerifier.verifyInclusion(
                        leafIndex: UInt64(sequence), treeSize: UInt64(treeSize),
                        leafHash: try #require(Digest(bytes: leaf)),
                        proof: path.compactMap { Digest(bytes: $0) }, root: try #require(Digest(bytes: proofRoot))))
                // The verifier can fail: a flipped bit, another index or a shortened path must not verify.
                if var tampered = path.first {
                    tampered[0] ^= 0x01
                    #expect(
                        try !RFC9162.verifyInclusion(
                            leafIndex: UInt64(sequence), treeSize: UInt64(treeSize), leafHash: leaf,
                            path: [tampered] + path.dropFirst(), root: expectedRoot))
                    #expect(
                        try !RFC9162.verifyInclusion(
                            leafIndex: UInt64(sequence), treeSize: UInt64(treeSize), leafHash: leaf,
                            path: Array(path.dropLast()), root: expectedRoot))
                    #expect(
                        try !RFC9162.verifyInclusion(
                            leafIndex: UInt64(sequence ^ 1), treeSize: UInt64(treeSize), leafHash: leaf, path: path,
                            root: expectedRoot))
                }
            }

            // Consistency proofs.
            let ranges: [(from: Int, to: Int?)] = [
                (1, nil), (1, 2), (3, 7), (4, 8), (7, nil), (1_024, 10_000), (5_000, 9_999), (8_192, 8_193),
                (9_999, nil),
                (6_000, 6_000),
            ]
            for (first, second) in ranges {
                var arguments = ["consistency", "--from", String(first)]
                if let second { arguments += ["--to", String(second)] }
                let proof = try box.json(arguments)
                let secondSize = second ?? count
                #expect(JSONHelp.int(proof["from"]) == first, "\(arguments)")
                #expect(JSONHelp.int(proof["to"]) == secondSize, "\(arguments)")
                let firstRoot = try RFC9162.root(leaves[0..<first])
                let secondRoot = try RFC9162.root(leaves[0..<secondSize])
                #expect(JSONHelp.string(proof["fromRoot"]) == JSONHelp.hex(firstRoot), "\(arguments)")
                #expect(JSONHelp.string(proof["toRoot"]) == JSONHelp.hex(secondRoot), "\(arguments)")
                let pathHex = try #require(proof["path"] as? [Any]).compactMap(JSONHelp.string)
                #expect(pathHex.allSatisfy(JSONHelp.isHash))
                let path = pathHex.compactMap(JSONHelp.hexBytes)
                if first == secondSize {
                    #expect(path.isEmpty, "\(arguments): a tree is consistent with itself by an empty proof")
                    continue
                }
                #expect(
                    try RFC9162.verifyConsistency(
                        first: UInt64(first), second: UInt64(secondSize), firstHash: firstRoot, secondHash: secondRoot,
                        path: path), "\(arguments): the proof does not verify")
                #expect(
                    try MerkleProofVerifier.verifyConsistency(
                        firstSize: UInt64(first), secondSize: UInt64(secondSize),
                        firstRoot: try #require(Digest(bytes: firstRoot)),
                        secondRoot: try #require(Digest(bytes: secondRoot)),
                        proof: path.compactMap { Digest(bytes: $0) }))
                var tampered = path
                tampered[tampered.count - 1][31] ^= 0x80
                #expect(
                    try !RFC9162.verifyConsistency(
                        first: UInt64(first), second: UInt64(secondSize), firstHash: firstRoot, secondHash: secondRoot,
                        path: tampered))
            }

            // Past the tree, or no tree at all: usage errors (64), nothing on stdout.
            let outOfRange: [[String]] = [
                ["prove", "--seq", String(count)], ["prove", "--seq", "5", "--tree-size", "5"],
                ["prove", "--seq", "0", "--tree-size", String(count + 1)], ["prove", "--seq", "0", "--tree-size", "0"],
                ["consistency", "--from", String(count + 1)], ["consistency", "--from", "0"],
                ["consistency", "--from", "0", "--to", "5"], ["consistency", "--from", "6", "--to", "5"],
                ["consistency", "--from", "1", "--to", String(count + 1)], ["prove", "--seq", "-1"],
            ]
            for arguments in outOfRange {
                let result = try box.run(arguments)
                #expect(result.exitCode == 64, "\(result.summary)")
                #expect(result.stdout.isEmpty, "\(result.summary)")
                #expect(!result.stderr.isEmpty, "\(result.summary)")
            }
            #expect(try box.checkpoint().root == root)
        }
    }

    @Test("re-appending: duplicates whatever the spelling; the same id with other content is a conflict")
    func reappendingIsIdempotent() throws {
        try Sandbox.with { box in
            let count = 10_000
            let events = Fixtures.events(count: count, seed: 0x2222)
            let file = try box.write(events.map(\.line), to: "events.ndjson")
            try box.initLedger()
            let first = try box.run(["append", file])
            #expect(first.exitCode == 0, "\(first.summary)")
            let root = try #require(AppendOutput(try first.json()).root)

            // The same bytes again.
            let again = try box.run(["append", file])
            #expect(again.exitCode == 0, "\(again.summary)")
            let repeated = AppendOutput(try again.json())
            #expect(repeated.appended == 0)
            #expect(repeated.duplicates == count)
            #expect(repeated.rejected == 0)
            #expect(repeated.treeSize == count)
            #expect(repeated.root == root)

            // The same events written differently: keys reordered at every level, whitespace, escapes,
            // other number spellings, the id's letters in the other case.
            let variantFile = try box.write(events.map(\.variantLine), to: "variant.ndjson")
            let variant = try box.run(["append", "--receipts", box.path("variant.receipts"), variantFile])
            #expect(variant.exitCode == 0, "\(variant.summary)")
            let respelled = AppendOutput(try variant.json())
            #expect(respelled.appended == 0, "re-spelled events were stored again")
            #expect(respelled.duplicates == count)
            #expect(respelled.rejected == 0)
            #expect(respelled.treeSize == count)
            #expect(respelled.root == root)
            let receipts = try box.receipts("variant.receipts")
            #expect(receipts.count == count)
            var reported = 0
            for (index, receipt) in receipts.enumerated() where JSONHelp.string(receipt["status"]) != "duplicate" {
                // Name the first few lines that did not come out as duplicates, to show which spelling failed.
                if reported < 3 {
                    Issue.record("line \(index + 1) \(events[index].variantLine) → \(receipt)")
                    reported += 1
                }
            }
            let misplaced = receipts.enumerated().filter { index, receipt in
                JSONHelp.string(receipt["id"]) != events[index].canonicalID || JSONHelp.int(receipt["seq"]) != index
            }
            #expect(misplaced.isEmpty, "receipts not naming line n's id and seq n-1: \(misplaced.prefix(3))")

            // One event changed, its id kept (written in the other case, too).
            let marker = Fixtures.marker()
            let changedIndex = 4_999
            var changed = events[changedIndex].replacingFirstValue(with: "\(marker)@example.com")
            changed.id = changed.id.uppercased()
            var lines = events.map(\.line)
            lines[changedIndex] = changed.line
            let conflictFile = try box.write(lines, to: "conflict.ndjson")
            let conflict = try box.run(["append", conflictFile])
            #expect(conflict.exitCode == 65, "\(conflict.summary)")
            let conflictSummary = AppendOutput(try conflict.json())
            #expect(conflictSummary.appended == 0)
            #expect(conflictSummary.duplicates == count - 1)
            #expect(conflictSummary.rejected == 1)
            #expect(conflictSummary.treeSize == count)
            #expect(conflictSummary.root == root)
            let rejections = try conflict.stderrJSONLines()
            #expect(rejections.count == 1, "\(conflict.stderr)")
            let rejection = try #require(rejections.first)
            #expect(JSONHelp.int(rejection["line"]) == changedIndex + 1)
            #expect(JSONHelp.string(rejection["id"]) == events[changedIndex].canonicalID)
            #expect(JSONHelp.string(rejection["rule"]) == "id.conflict")
            #expect(JSONHelp.string(rejection["field"]) == "id")
            #expect(!(JSONHelp.string(rejection["message"]) ?? "").isEmpty)
            #expect(!conflict.stderr.contains(marker) && !conflict.stdout.contains(marker))
            let head = try box.checkpoint()
            #expect(head.size == count)
            #expect(head.root == root)
        }
    }

    @Test("within one file: a repeated event is a duplicate of the first, a changed one a conflict")
    func repeatsInsideOneFile() throws {
        try Sandbox.with { box in
            let events = Fixtures.events(count: 5, seed: 0x2323)
            var changed = events[1]
            changed.occurredAt = "2026-01-03T10:00:00+02:00"
            let lines = [events[0].line, events[1].line, events[0].variantLine, changed.line, events[2].line]
            let file = try box.write(lines, to: "events.ndjson")
            try box.initLedger()
            let result = try box.run(["append", "--receipts", box.path("receipts"), file])
            #expect(result.exitCode == 65, "\(result.summary)")
            let summary = AppendOutput(try result.json())
            #expect(summary.appended == 3)
            #expect(summary.duplicates == 1)
            #expect(summary.rejected == 1)
            #expect(summary.treeSize == 3)
            let receipts = try box.receipts("receipts")
            #expect(
                receipts.map { JSONHelp.string($0["status"]) } == [
                    "appended", "appended", "duplicate", "rejected", "appended",
                ])
            #expect(receipts.map { JSONHelp.int($0["seq"]) } == [0, 1, 0, nil, 2])
            #expect(JSONHelp.string(receipts[3]["rule"]) == "id.conflict")
            let rejection = try #require(try result.stderrJSONLines().first)
            #expect(JSONHelp.int(rejection["line"]) == 4)
            #expect(JSONHelp.string(rejection["id"]) == events[1].canonicalID)
        }
    }

    @Test("--dry-run stores nothing; --receipts has one line per input line")
    func dryRunAndReceipts() throws {
        try Sandbox.with { box in
            let events = Fixtures.events(count: 1_000, seed: 0x3333)
            try box.initLedger()
            let firstFile = try box.write(events[0..<600].map(\.line), to: "first.ndjson")
            let first = try box.run(["append", firstFile])
            #expect(first.exitCode == 0, "\(first.summary)")
            let before = try box.checkpoint()
            #expect(before.size == 600)

            // A dry run of all 1,000: 600 duplicates, 400 it would append, nothing stored.
            let allFile = try box.write(events.map(\.line), to: "all.ndjson")
            let dry = try box.run(["append", "--dry-run", "--receipts", box.path("dry.receipts"), allFile])
            #expect(dry.exitCode == 0, "\(dry.summary)")
            let dryObject = try dry.json()
            let drySummary = AppendOutput(dryObject)
            #expect(JSONHelp.bool(dryObject["dryRun"]) == true, "\(dryObject)")
            #expect(JSONHelp.int(dryObject["wouldAppend"]) == 400)
            #expect(drySummary.appended == 0)
            #expect(drySummary.duplicates == 600)
            #expect(drySummary.rejected == 0)
            #expect(drySummary.treeSize == 600)
            #expect(drySummary.root == before.root)
            let dryReceipts = try box.receipts("dry.receipts")
            #expect(dryReceipts.count == 1_000)
            #expect(!dryReceipts.contains { JSONHelp.string($0["status"]) == "appended" }, "a dry run reported appends")
            let misnumbered = dryReceipts.enumerated().filter { JSONHelp.int($1["seq"]) != $0 }
            #expect(misnumbered.isEmpty, "dry-run receipts with another seq: \(misnumbered.prefix(3))")
            let after = try box.checkpoint()
            #expect(after.size == before.size)
            #expect(after.root == before.root)
            let stats = try box.json(["stats"])
            #expect(JSONHelp.int(stats["records"]) == 600)

            // A real run with receipts: 100 duplicates, 400 new (one of them twice), 3 rejected lines.
            let badUUID = Fixtures.marker()
            var lines = events[500..<1_000].map(\.line)
            lines.insert(
                #"{"id":"\#(badUUID)","type":"data.ingested","occurredAt":"2026-01-02T10:00:00Z","subject":"person-1","schemaVersion":1,"payload":{}}"#,
                at: 150)
            lines.insert("{not json", at: 10)
            lines.insert(events[700].line, at: 300)
            lines.append("")
            let mixedFile = try box.write(lines, to: "mixed.ndjson")
            let real = try box.run(["append", "--receipts", box.path("real.receipts"), mixedFile])
            #expect(real.exitCode == 65, "\(real.summary)")
            let realObject = try real.json()
            #expect(realObject["dryRun"] == nil && realObject["wouldAppend"] == nil)
            let summary = AppendOutput(realObject)
            #expect(summary.appended == 400)
            #expect(summary.duplicates == 101)
            #expect(summary.rejected == 3)
            #expect(summary.treeSize == 1_000)
            let receipts = try box.receipts("real.receipts")
            #expect(receipts.count == lines.count, "one receipt per input line")
            var nextAppended = 600
            var seen: [String: Int] = [:]
            for (index, receipt) in receipts.enumerated() {
                #expect(JSONHelp.int(receipt["line"]) == index + 1)
                let status = JSONHelp.string(receipt["status"])
                let id = JSONHelp.string(receipt["id"])
                switch status {
                case "appended":
                    #expect(
                        JSONHelp.int(receipt["seq"]) == nextAppended, "appends get the next numbers, in input order")
                    nextAppended += 1
                    if let id { seen[id] = JSONHelp.int(receipt["seq"]) }
                case "duplicate":
                    let id = try #require(id, "\(receipt)")
                    let original = events.firstIndex { $0.canonicalID == id }
                    let expected = original.map { $0 < 600 ? $0 : seen[id] ?? -1 }
                    #expect(JSONHelp.int(receipt["seq"]) == expected, "duplicate \(receipt)")
                case "rejected":
                    #expect(receipt["seq"] == nil, "a rejected line has no seq: \(receipt)")
                    #expect(JSONHelp.string(receipt["rule"]) != nil)
                    #expect(receipt.keys.contains("id"))
                default:
                    Issue.record("unexpected receipt \(receipt)")
                }
            }
            #expect(nextAppended == 1_000)
            #expect(
                receipts.filter { JSONHelp.string($0["status"]) == "rejected" }.compactMap {
                    JSONHelp.string($0["rule"])
                }
                    == ["json.invalid", "id.not_uuid", "line.empty"])
            let receiptText = try String(contentsOfFile: box.path("real.receipts"), encoding: .utf8)
            #expect(!receiptText.contains(badUUID) && !real.stderr.contains(badUUID))
            // The second copy of events[700] is a duplicate of the first.
            let copies = receipts.filter { JSONHelp.string($0["id"]) == events[700].canonicalID }
            #expect(copies.map { JSONHelp.string($0["status"]) } == ["appended", "duplicate"])
            #expect(Set(copies.map { JSONHelp.int($0["seq"]) }).count == 1)
            let verify = try box.run(["verify"])
            #expect(verify.exitCode == 0, "\(verify.summary)")
        }
    }

    @Test("append reads stdin when no FILE is given, and from `-`")
    func appendFromStandardInput() throws {
        try Sandbox.with { box in
            let events = Fixtures.events(count: 50, seed: 0x4444)
            let file = try box.write(events.map(\.line), to: "events.ndjson")
            try box.initLedger()
            let piped = try box.run(["append"], stdinPath: file)
            #expect(piped.exitCode == 0, "\(piped.summary)")
            let summary = AppendOutput(try piped.json())
            #expect(summary.appended == 50)
            #expect(summary.treeSize == 50)
            let dash = try box.run(["append", "-"], stdinPath: file)
            #expect(dash.exitCode == 0, "\(dash.summary)")
            #expect(AppendOutput(try dash.json()).duplicates == 50)
            // The last line without its newline is still a line.
            let unterminated = box.path("unterminated.ndjson")
            try Data(Fixtures.events(count: 1, seed: 0x4445)[0].line.utf8).write(to: URL(fileURLWithPath: unterminated))
            let last = try box.run(["append", unterminated])
            #expect(last.exitCode == 0, "\(last.summary)")
            #expect(AppendOutput(try last.json()).appended == 1)
        }
    }
}
