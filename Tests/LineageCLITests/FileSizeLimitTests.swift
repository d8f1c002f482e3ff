import Foundation
import Lineage
import Testing

/// A night's import on a disk that fills up. The ledger's file is allocated before the map covers
/// it, so the growth that finds no room fails (`ENOSPC` on a full disk; here `EFBIG`, from a file
/// size limit, which the same `fallocate` meets) instead of a mapped write dying of `SIGBUS`: the
/// append stops with an error naming what failed, what was committed stays, and once there is room
/// the same command finishes the job.
@Suite("an append that cannot grow the ledger's file", .serialized)
struct FileSizeLimitTests {
    @Test("the growth fails with an error, the committed batches verify, and the re-run stores the rest once")
    func appendStopsCleanlyWhenTheFileCannotGrow() throws {
        try Sandbox.with { box in
            let count = 3_000
            let batch = 100
            let events = Fixtures.events(count: count, seed: 0xF111_ED, rich: false)
            let file = try box.write(events.map(\.line), to: "night.ndjson")
            // A 64 KiB map doubles as it fills: under a 1 MiB limit on the file (2 MiB if `sh`
            // counts kilobytes), the growth past it comes after a few hundred events.
            let created = try box.run(["init", "--map-size", "65536"])
            try #require(created.exitCode == 0, "\(created.summary)")
            let limit = 1 << 20

            // All or nothing: nothing.
            let atomic = try box.run(["append", "--atomic", file], fileSizeLimit: limit)
            #expect(!atomic.signaled && atomic.exitCode == 1, "\(atomic.summary)")
            #expect(atomic.stderr.contains("nothing of the input was stored"), "\(atomic.summary)")
            #expect(try box.checkpoint().size == 0)

            let stopped = try box.run(
                ["append", "--batch-size", String(batch), "--receipts", box.path("receipts-1"), file],
                fileSizeLimit: limit)
            #expect(!stopped.signaled, "the append died of a signal: \(stopped.summary)")
            #expect(stopped.exitCode == 1, "\(stopped.summary)")
            #expect(stopped.stdout.isEmpty, "a failed append printed a summary: \(stopped.summary)")
            #expect(
                stopped.stderr.contains("fallocate") && stopped.stderr.contains("File too large"),
                "the error does not say what failed: \(stopped.summary)")
            let fileBytes = try #require(
                try FileManager.default.attributesOfItem(atPath: box.ledger + "/data.mdb")[.size] as? Int)
            #expect(fileBytes <= 2 * limit, "data.mdb grew past the limit: \(fileBytes) bytes")

            // Whole batches, each receipted once it committed, and nothing else.
            let stored = try box.checkpoint()
            #expect(stored.size > 0 && stored.size < count, "the growth did not fail mid-way: \(stored.size)")
            #expect(stored.size % batch == 0, "\(stored.size) is not a whole number of batches of \(batch)")
            #expect(
                stopped.stderr.contains("the input's first \(stored.size) lines were stored before it"),
                "the error does not say how far the append got: \(stopped.summary)")
            let receipted = try box.receipts("receipts-1")
            #expect(receipted.count == stored.size, "receipts for uncommitted lines, or missing")
            #expect(receipted.allSatisfy { JSONHelp.string($0["status"]) == "appended" })
            let deep = try box.run(["verify", "--deep"])
            #expect(deep.exitCode == 0, "\(deep.summary)")
            #expect(
                try storedIDs(ledger: box.ledger, count: stored.size) == events.prefix(stored.size).map(\.canonicalID))

            // With room again, the same command: the committed events are duplicates, the rest appended.
            let rerun = try box.run(["append", "--batch-size", String(batch), file])
            #expect(rerun.exitCode == 0, "\(rerun.summary)")
            let summary = AppendOutput(try rerun.json())
            #expect(summary.duplicates == stored.size)
            #expect(summary.appended == count - stored.size)
            #expect(summary.treeSize == count)
            let verify = try box.run(["verify", "--deep"])
            #expect(verify.exitCode == 0, "\(verify.summary)")
            #expect(try storedIDs(ledger: box.ledger, count: count) == events.map(\.canonicalID))
        }
    }
}
