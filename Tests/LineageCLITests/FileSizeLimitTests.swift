import Foundation
import Lineage
import Testing

/// A night's import on a disk that fills up. The ledger's file is allocated before the map covers
/// it, so the growth that finds no room fails (`ENOSPC` on a full disk; here `EFBIG`, from a file
/// size limit, which the same `fallocate` meets) instead of a mapped write dying of `SIGBUS`: the
/// append stops with an error naming what failed, what was committed stays, and once there is room
/// the same command finishes the job.
@Suite("commands whose files cannot grow", .serialized)
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
                stopped.stderr.contains("the input's first \(stored.size) lines were handled before it"),
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

    @Test("input from a pipe that stays open: the failed append exits all the same")
    func appendFromAnOpenPipeExits() throws {
        try Sandbox.with { box in
            // Three batches: the producer hands over all three (one to the writer, two to the queue)
            // and waits for more input while the writer fails on one of them (the file's growth past
            // 1 MiB comes after several hundred events), so that only the wake-up ends its wait.
            let batch = 400
            let events = Fixtures.events(count: 3 * batch, seed: 0xF1F0, rich: false)
            let created = try box.run(["init", "--map-size", "65536"])
            try #require(created.exitCode == 0, "\(created.summary)")
            // A FIFO opened for reading and writing here, so that opening it does not wait, fed on a
            // thread of its own and left open: the input never ends.
            let fifo = box.path("input.fifo")
            try #require(mkfifo(fifo, 0o600) == 0)
            let feed = open(fifo, O_RDWR)
            try #require(feed >= 0)
            defer { close(feed) }
            let bytes = Array(events.map { $0.line + "\n" }.joined().utf8)
            let fed = FeederDone()
            let feeder = Thread {
                var offset = 0
                while offset < bytes.count {
                    let written = bytes[offset...].withUnsafeBytes { write(feed, $0.baseAddress, $0.count) }
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { break }
                    offset += written
                }
                fed.set()
            }
            feeder.start()
            // Whatever the feeder has yet to write once the append is gone is drained here, so that
            // the thread ends before the test does.
            defer {
                _ = fcntl(feed, F_SETFL, O_NONBLOCK)
                var sink = [UInt8](repeating: 0, count: 1 << 16)
                while !fed.isSet { if read(feed, &sink, sink.count) <= 0 { usleep(1_000) } }
            }

            let append = try box.start(
                ["append", "--batch-size", String(batch)], stdinPath: fifo, fileSizeLimit: 1 << 20)
            // Not a timing: a watchdog, so that a producer left waiting for input fails the test
            // instead of hanging the suite.
            let deadline = Date(timeIntervalSinceNow: 60)
            while append.isRunning && Date() < deadline { usleep(20_000) }
            if append.isRunning { kill(append.pid, SIGKILL) }
            let result = try append.wait()
            #expect(!result.signaled && result.exitCode == 1, "\(result.summary)")
            #expect(result.stderr.contains("fallocate"), "\(result.summary)")
            let stored = try box.checkpoint().size
            #expect(stored < 3 * batch && stored % batch == 0, "\(stored) events stored")
            let verify = try box.run(["verify"])
            #expect(verify.exitCode == 0, "\(verify.summary)")
        }
    }

    @Test("receipts that cannot be written: the append goes on, and says so with exit 1")
    func unwritableReceipts() throws {
        try Sandbox.with { box in
            let count = 3_000
            let events = Fixtures.events(count: count, seed: 0xF2F0, rich: false)
            let file = try box.write(events.map(\.line), to: "events.ndjson")
            // The map made big enough at the start: only the receipts meet the limit.
            let created = try box.run(["init", "--map-size", "32M"])
            try #require(created.exitCode == 0, "\(created.summary)")
            let limit = 100 * 1024
            let result = try box.run(
                ["append", "--batch-size", "100", "--receipts", box.path("receipts"), file], fileSizeLimit: limit)
            #expect(!result.signaled && result.exitCode == 1, "\(result.summary)")
            #expect(result.stderr.contains("writing the receipts file"), "\(result.summary)")
            #expect(result.stderr.contains("\(count) appended"), "\(result.summary)")
            #expect(try box.checkpoint().size == count)
            let receipts = try #require(
                try FileManager.default.attributesOfItem(atPath: box.path("receipts"))[.size] as? Int)
            #expect(receipts <= limit)
        }
    }

    @Test("a result that cannot be written to stdout is a failure, not a crash")
    func unwritableOutput() throws {
        try Sandbox.with { box in
            let events = try box.ledger(holdingFixtures: 400, seed: 0xF3F0, rich: false)
            let counts = Dictionary(grouping: events.compactMap(\.subject), by: { $0 }).mapValues(\.count)
            let subject = try #require(counts.max { $0.value < $1.value }?.key)
            let full = try box.run(["provenance", "--subject", subject])
            try #require(full.exitCode == 0 && full.stdout.utf8.count > 1024, "\(full.summary)")
            // Room for the error on stderr, not for the answer on stdout.
            let cut = try box.run(["provenance", "--subject", subject], fileSizeLimit: 512)
            #expect(!cut.signaled && cut.exitCode == 1, "\(cut.summary)")
            #expect(cut.stderr.contains("could not be written to stdout"), "\(cut.summary)")
        }
    }
}

/// Set by the feeding thread when it has written everything it will.
private final class FeederDone: @unchecked Sendable {
    // @unchecked: `done` is touched only with `lock` held.
    private let lock = NSLock()
    private var done = false

    func set() { lock.withLock { done = true } }
    var isSet: Bool { lock.withLock { done } }
}
