import Foundation
import Lineage
import Testing

/// The ids of the stored records in sequence order, read through the library. The canonical event
/// starts with its id (`{"id":"…"`: "id" sorts first among the envelope's members).
func storedIDs(ledger path: String, count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
    try storedRecords(ledger: path, count: count, sourceLocation: sourceLocation).map { record in
        let event = try #require(EventRecord(decoding: record), sourceLocation: sourceLocation).canonicalEvent
        let prefix = Array(#"{"id":""#.utf8)
        #expect(Array(event.prefix(prefix.count)) == prefix, sourceLocation: sourceLocation)
        return String(decoding: event.dropFirst(prefix.count).prefix(36), as: UTF8.self)
    }
}

/// The processes that load the machine: one at a time, so that they neither starve each other nor
/// the kill and the interleaving they must show.
@Suite("crash safety and concurrent writers", .serialized)
struct CrashAndConcurrencyTests {
    @Test("SIGKILL in the middle of an append: the ledger verifies, and re-running it stores each event once")
    func killedMidAppend() throws {
        try Sandbox.with { box in
            // ~200,000 was the brief; with sealing and projections a debug build appends about 3,000
            // events a second on two cores, so the default keeps the suite within its time budget.
            let count = ProcessInfo.processInfo.environment["LINEAGE_CRASH_EVENTS"].flatMap { Int($0) } ?? 80_000
            let batch = 200
            let events = Fixtures.events(count: count, seed: 0xC0FF_EE00, rich: false)
            let file = try box.write(events.map(\.line), to: "big.ndjson")
            try box.initLedger()

            let writer = try box.start(["append", "--batch-size", String(batch), file])
            // A reader in its own process watches the tree grow; the first size strictly between 0 and
            // the file's count gets the writer killed.
            var seen: Int?
            var failedPolls: [String] = []
            while writer.isRunning {
                let head = try box.run(["checkpoint"])
                guard head.exitCode == 0, let size = JSONHelp.int(try head.json()["treeSize"]) else {
                    failedPolls.append(head.summary)
                    continue
                }
                if size > 0 {
                    if size < count {
                        seen = size
                        kill(writer.pid, SIGKILL)
                    }
                    break
                }
            }
            let killed = try writer.wait()
            #expect(failedPolls.isEmpty, "checkpoint failed while the writer ran: \(failedPolls.prefix(3))")
            let observed = try #require(
                seen, "the append finished before a checkpoint saw it mid-way: \(killed.summary)")
            #expect(
                killed.signaled && killed.status == SIGKILL, "the writer was not killed by SIGKILL: \(killed.summary)")
            try #require(killed.signaled, "the kill did not land")

            let afterKill = try box.checkpoint()
            #expect(afterKill.size >= observed, "the tree shrank")
            #expect(afterKill.size > 0 && afterKill.size < count, "the kill did not land mid-way: \(afterKill.size)")
            #expect(
                afterKill.size % batch == 0,
                "a commit holds whole batches; \(afterKill.size) is not a multiple of \(batch)")
            let verifyAfterKill = try box.run(["verify"])
            #expect(verifyAfterKill.exitCode == 0, "\(verifyAfterKill.summary)")
            #expect(JSONHelp.int(try verifyAfterKill.json()["treeSize"]) == afterKill.size)

            // The same append again finishes the job.
            let rerun = try box.run(["append", "--batch-size", String(batch), "--receipts", box.path("receipts"), file])
            #expect(rerun.exitCode == 0, "\(rerun.summary)")
            let summary = AppendOutput(try rerun.json())
            #expect((summary.appended ?? 0) + (summary.duplicates ?? 0) == count, "\(rerun.stdout)")
            #expect(summary.duplicates == afterKill.size)
            #expect(summary.rejected == 0)
            #expect(summary.treeSize == count)

            // Every id exactly once, under one sequence number; the numbers are 0..<count, in file order.
            let receipts = try box.receipts("receipts")
            try #require(receipts.count == count, "one receipt per line")
            var sequenceOf: [String: Int] = [:]
            sequenceOf.reserveCapacity(count)
            var idsWithTwoSequences = 0
            var sequences = Set<Int>(minimumCapacity: count)
            var misplaced: [String] = []
            for (index, receipt) in receipts.enumerated() {
                let id = JSONHelp.string(receipt["id"]) ?? "?"
                let sequence = JSONHelp.int(receipt["seq"]) ?? -1
                let status = JSONHelp.string(receipt["status"]) ?? "?"
                if let earlier = sequenceOf.updateValue(sequence, forKey: id), earlier != sequence {
                    idsWithTwoSequences += 1
                }
                sequences.insert(sequence)
                let expectedStatus = index < afterKill.size ? "duplicate" : "appended"
                if misplaced.count < 5
                    && (id != events[index].canonicalID || sequence != index || status != expectedStatus
                        || JSONHelp.int(receipt["line"]) != index + 1)
                {
                    misplaced.append("line \(index + 1): \(receipt), expected seq \(index) \(expectedStatus)")
                }
            }
            #expect(misplaced.isEmpty, "\(misplaced)")
            #expect(sequenceOf.count == count, "distinct ids")
            #expect(idsWithTwoSequences == 0, "ids with more than one sequence number")
            #expect(sequences == Set(0..<count), "the sequence numbers are not exactly 0..<\(count)")

            let final = try box.checkpoint()
            #expect(final.size == count)
            let verify = try box.run(["verify"])
            #expect(verify.exitCode == 0, "\(verify.summary)")
            let verified = try verify.json()
            #expect(JSONHelp.bool(verified["ok"]) == true)
            #expect(JSONHelp.string(verified["root"]) == final.root)
            let stats = try box.json(["stats"])
            #expect(JSONHelp.int(stats["records"]) == count)
            let databases = stats["databases"] as? [String: Any]
            #expect(JSONHelp.int((databases?["ledger.idempotency"] as? [String: Any])?["entries"]) == count)
        }
    }

    /// What two writers started together on a fresh ledger with a 64 KiB map did.
    private struct TwoWriters {
        let summaries: [AppendOutput]
        let receipts: [[[String: Any]]]
        /// The sequence numbers each process appended, in its input order.
        var appended: [[Int]] {
            receipts.map { lines in
                lines.filter { JSONHelp.string($0["status"]) == "appended" }.compactMap { JSONHelp.int($0["seq"]) }
            }
        }
        /// Neither process's appended range lies wholly before the other's.
        var interleaved: Bool {
            let ranges = appended.map { ($0.min(), $0.max()) }
            guard let a0 = ranges[0].0, let a1 = ranges[0].1, let b0 = ranges[1].0, let b1 = ranges[1].1 else {
                return false
            }
            return !(a1 < b0 || b1 < a0)
        }
    }

    private func runTwoWriters(_ box: Sandbox, _ files: [String]) throws -> TwoWriters {
        let created = try box.run(["init", "--map-size", "65536"])
        try #require(created.exitCode == 0, "\(created.summary)")
        #expect(JSONHelp.int(try created.json()["mapSize"]) == 65536)
        let writers = try files.enumerated().map { index, file in
            try box.start(["append", "--batch-size", "100", "--receipts", box.path("receipts-\(index)"), file])
        }
        let results = try writers.map { try $0.wait() }
        for result in results {
            #expect(result.exitCode == 0, "\(result.summary)")
        }
        return TwoWriters(
            summaries: try results.map { AppendOutput(try $0.json()) },
            receipts: try (0..<files.count).map { try box.receipts("receipts-\($0)") })
    }

    /// Checks the ledger after the writers: `expected` ids, each exactly once, a clean verify, a grown map.
    private func checkLedger(_ box: Sandbox, expected ids: [String]) throws {
        let head = try box.checkpoint()
        #expect(head.size == ids.count)
        let verify = try box.run(["verify"])
        #expect(verify.exitCode == 0, "\(verify.summary)")
        let stats = try box.json(["stats"])
        #expect((JSONHelp.int(stats["mapSize"]) ?? 0) > 65536, "the map did not grow: \(stats)")
        #expect(JSONHelp.int(stats["records"]) == ids.count)
        let stored = try storedIDs(ledger: box.ledger, count: head.size)
        #expect(stored.count == Set(stored).count, "an event stored twice")
        #expect(Set(stored) == Set(ids), "the stored ids are not the input's")
    }

    @Test("two writers, two files of 20,000 events, a 64 KiB map: interleaved, nothing lost")
    func twoWritersDistinctFiles() throws {
        let count = 20_000
        let events = [
            Fixtures.events(count: count, seed: 0xA11CE, rich: false),
            Fixtures.events(count: count, seed: 0xB0B, rich: false),
        ]
        var overlapped = false
        var attempts: [String] = []
        for _ in 1...3 where !overlapped {
            overlapped = try Sandbox.with { box in
                let files = try events.enumerated().map { try box.write($1.map(\.line), to: "events-\($0).ndjson") }
                let run = try runTwoWriters(box, files)
                for (index, summary) in run.summaries.enumerated() {
                    #expect(summary.appended == count && summary.duplicates == 0 && summary.rejected == 0)
                    let ids = run.receipts[index].map { JSONHelp.string($0["id"]) }
                    #expect(ids == events[index].map(\.canonicalID), "receipts follow the input")
                    #expect(run.appended[index].count == count)
                    #expect(run.appended[index] == run.appended[index].sorted(), "one writer's numbers rise")
                }
                let all = run.appended[0] + run.appended[1]
                #expect(Set(all) == Set(0..<(2 * count)) && all.count == 2 * count, "sequence numbers")
                try checkLedger(box, expected: events.flatMap { $0.map(\.canonicalID) })
                attempts.append("\(run.appended.map { ($0.min() ?? -1, $0.max() ?? -1) })")
                return run.interleaved
            }
        }
        #expect(overlapped, "the writers never interleaved; appended ranges per attempt: \(attempts)")
    }

    @Test("two writers, the same file of 20,000 events, a 64 KiB map: each event stored once")
    func twoWritersSameFile() throws {
        let count = 20_000
        let events = Fixtures.events(count: count, seed: 0x5A4E, rich: false)
        var overlapped = false
        var attempts: [String] = []
        for _ in 1...5 where !overlapped {
            overlapped = try Sandbox.with { box in
                let file = try box.write(events.map(\.line), to: "events.ndjson")
                let run = try runTwoWriters(box, [file, file])
                for summary in run.summaries {
                    #expect((summary.appended ?? 0) + (summary.duplicates ?? 0) == count && summary.rejected == 0)
                }
                #expect(run.summaries.map { $0.appended ?? 0 }.reduce(0, +) == count, "each event appended once")
                // Both report the same sequence number for each line: the one that stored it.
                let sequences = run.receipts.map { $0.map { JSONHelp.int($0["seq"]) } }
                #expect(sequences[0] == sequences[1], "the writers disagree on where an event is")
                #expect(Set(sequences[0].compactMap { $0 }) == Set(0..<count))
                for receipts in run.receipts {
                    #expect(receipts.map { JSONHelp.string($0["id"]) } == events.map(\.canonicalID))
                }
                try checkLedger(box, expected: events.map(\.canonicalID))
                attempts.append(
                    "appended \(run.appended.map(\.count)), ranges \(run.appended.map { ($0.min() ?? -1, $0.max() ?? -1) })"
                )
                // Both appended something: each saw the other's commits as duplicates, so their runs overlapped.
                return run.appended.allSatisfy { !$0.isEmpty }
            }
        }
        #expect(overlapped, "one writer stored everything in every attempt, so they never overlapped: \(attempts)")
    }
}
