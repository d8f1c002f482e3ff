import Foundation

/// How `append` treats its input.
public struct AppendOptions: Sendable {
    /// Everything in one transaction: one rejected line means nothing from the input is stored.
    /// The whole input is held in memory for this.
    public var atomic = false
    /// Check everything, inside a write transaction that is then thrown away: report what would
    /// happen, store nothing.
    public var dryRun = false
    /// Lines per durable write transaction (when neither atomic nor a dry run).
    public var batchSize = Self.defaultBatchSize
    public static let defaultBatchSize = 5_000

    public init(atomic: Bool = false, dryRun: Bool = false, batchSize: Int = Self.defaultBatchSize) {
        self.atomic = atomic
        self.dryRun = dryRun
        self.batchSize = max(1, batchSize)
    }
}

/// The result of one `append`, as the CLI prints it.
public struct AppendSummary: Equatable, Sendable {
    public var appended = 0
    public var duplicates = 0
    public var rejected = 0
    /// Acceptable events not stored because an atomic run had a rejection.
    public var discarded = 0
    /// Events a dry run would have appended.
    public var wouldAppend = 0
    public var head: TreeHead
}

/// One input line's outcome, in input order.
public struct LineOutcome: Sendable {
    public let line: Int
    public let outcome: Outcome
    private let eventID: EventID?
    private let rejectedID: String?

    init(line: NumberedLine, outcome: Outcome) {
        self.line = line.number
        self.outcome = outcome
        switch line.prepared {
        case .event(let prepared): (eventID, rejectedID) = (prepared.event.envelope.id, nil)
        case .rejected(let rejection): (eventID, rejectedID) = (nil, rejection.id)
        }
    }

    /// The event's id when it was readable. Spelled out only when asked for: most callers look at
    /// the outcome alone, and a million ids are a measurable share of an import.
    public var id: String? { eventID?.description ?? rejectedID }
}

extension Ledger {
    /// Appends NDJSON events read from `fd` until end of input. Parsing, envelope checks and digests
    /// run on a second thread, a batch ahead of the writer, so both cores work. `onLine` is called
    /// for every line in order, after the transaction holding it has committed (or been thrown away);
    /// `progress` after each batch with the number of lines handled so far. When this returns or
    /// throws, that thread is done: `fd` is the caller's again, though not read to its end after an
    /// error.
    public func append(
        from fd: Int32, options: AppendOptions = AppendOptions(),
        onLine: (LineOutcome) -> Void = { _ in }, progress: (Int) -> Void = { _ in }
    ) throws -> AppendSummary {
        let queue = BoundedQueue<[NumberedLine]>(capacity: 2)
        // The producer reads `fd` on its own thread; it is done with it before this returns, also
        // when the writer fails: the queue's cancellation stops it between batches, and a byte on
        // this pipe stops a read waiting for input that may never come.
        var cancellation: [Int32] = [-1, -1]
        guard pipe(&cancellation) == 0 else { throw LedgerError.io(path: "pipe", operation: "pipe", errno: errno) }
        defer { for end in cancellation { close(end) } }
        // Not inherited by a process the caller starts meanwhile (`pipe2` is not in Swift's Glibc).
        for end in cancellation { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        // The producer sits out the writer's commits (``CommitGate``).
        let commitGate = CommitGate()
        let producer = Producer(
            reader: LineReader(fd: fd, limit: EventPreparer.maxLineBytes, cancellation: cancellation[0]),
            preparer: try makePreparer(), hinter: SnapshotHinter(ledger: self), queue: queue, commitGate: commitGate,
            batchSize: options.atomic || options.dryRun ? 10_000 : options.batchSize, environment: environment)
        let thread = Thread { producer.run() }
        thread.stackSize = 4 << 20
        thread.start()
        defer {
            queue.cancel()
            var byte: UInt8 = 1
            _ = Glibc.write(cancellation[1], &byte, 1)
            producer.waitUntilExited()
        }

        var summary = AppendSummary(head: try treeHead())
        var handled = 0
        func report(_ batch: [NumberedLine], _ outcomes: [Outcome]) {
            // By index: a line taken out of the batch is a copy, a retain and a release of each of its
            // references.
            for index in batch.indices {
                let outcome = outcomes[index]
                switch outcome {
                case .appended: summary.appended += 1
                case .duplicate: summary.duplicates += 1
                case .rejected: summary.rejected += 1
                case .discarded: summary.discarded += 1
                case .wouldAppend: summary.wouldAppend += 1
                }
                onLine(LineOutcome(line: batch[index], outcome: outcome))
            }
            handled += batch.count
            progress(handled)
        }

        if options.atomic || options.dryRun {
            var all: [NumberedLine] = []
            while let batch = try queue.pop() { all += batch }
            let (outcomes, committedHead) = try writeAllOrNothing(all.lazy.map(\.prepared), dryRun: options.dryRun)
            // Nothing after a commit may throw: a caller told of an error takes it that nothing was stored.
            summary.head = try committedHead ?? treeHead()
            report(all, outcomes)
        } else {
            while let batch = try queue.pop() {
                let (outcomes, head) = try append(lines: batch.lazy.map(\.prepared), commitGate: commitGate)
                summary.head = head
                report(batch, outcomes)
                queue.recycle(consume batch)
            }
        }
        return summary
    }

    /// Appends already prepared events in one durable transaction; for library callers that build
    /// events themselves. Returns one outcome per line.
    public func append(_ lines: [PreparedLine]) throws -> (outcomes: [Outcome], head: TreeHead) {
        try append(lines: lines)
    }

    /// The same over any collection: the import passes its batch's lines as they are, not copied
    /// into an array of their own on the writer's thread.
    private func append<Lines: Collection<PreparedLine>>(
        lines: Lines, commitGate: CommitGate? = nil
    ) throws -> (outcomes: [Outcome], head: TreeHead) {
        try environment.write { txn in
            if let commitGate { txn.commitThrough(commitGate) }
            let appender = try log.appender(in: txn)
            let outcomes = try write(lines, in: txn, appender: appender, recordedAt: Self.now())
            return (outcomes, try appender.treeHead())
        }
    }

    /// One transaction over everything: committed only when no line is rejected (and never in a dry
    /// run). The tree head is the committed one's, nil when nothing was committed.
    private func writeAllOrNothing<Lines: Collection<PreparedLine>>(
        _ lines: Lines, dryRun: Bool
    ) throws -> (outcomes: [Outcome], head: TreeHead?) {
        let attempt: (Transaction) throws -> (outcomes: [Outcome], head: TreeHead?) = { txn in
            let appender = try self.log.appender(in: txn)
            let outcomes = try self.write(lines, in: txn, appender: appender, recordedAt: Self.now())
            if !dryRun && outcomes.contains(where: { if case .rejected = $0 { true } else { false } }) {
                throw AtomicRunRejected(outcomes: outcomes)
            }
            return (outcomes, dryRun ? nil : try appender.treeHead())
        }
        if dryRun {
            let outcomes = try environment.writeAndDiscard(attempt).outcomes.map {
                if case .appended(let sequence) = $0 { return Outcome.wouldAppend(sequence) }
                return $0
            }
            return (outcomes, nil)
        }
        do {
            return try environment.write(attempt)
        } catch let aborted as AtomicRunRejected {
            let outcomes = aborted.outcomes.map {
                if case .appended = $0 { return Outcome.discarded }
                return $0
            }
            return (outcomes, nil)
        }
    }
}

/// Thrown inside an atomic run's transaction to abort it, carrying what each line would have been.
private struct AtomicRunRejected: Error {
    let outcomes: [Outcome]
}

struct NumberedLine: Sendable {
    let number: Int
    let prepared: PreparedLine
}

/// Reads and prepares batches on its own thread. It owns the reader, the preparer and the hinter
/// outright: they are handed over at creation and touched by no other thread, and let go on that
/// thread before it says it has exited, so that none of them (nor the ledger the hinter holds) is
/// freed by it after ``Ledger/append(from:options:onLine:progress:)`` has returned (the thread's
/// closure, and this object with it, may be released there later). Only the exit is shared, under
/// `exited`'s lock.
private final class Producer: @unchecked Sendable {
    private struct Work {
        let reader: LineReader
        let preparer: EventPreparer
        let hinter: SnapshotHinter
        let environment: Environment
    }

    private var work: Work?
    private let queue: BoundedQueue<[NumberedLine]>
    private let commitGate: CommitGate
    private let batchSize: Int
    /// Where the data file's prefetched part ends.
    private var prefetched = 0
    private let exited = NSCondition()
    private var hasExited = false

    init(
        reader: LineReader, preparer: EventPreparer, hinter: SnapshotHinter, queue: BoundedQueue<[NumberedLine]>,
        commitGate: CommitGate, batchSize: Int, environment: Environment
    ) {
        work = Work(reader: reader, preparer: preparer, hinter: hinter, environment: environment)
        self.queue = queue
        self.commitGate = commitGate
        self.batchSize = batchSize
    }

    /// Hints the batch (its lookups in a snapshot, taken now) and hands it to the writer.
    private func push(_ batch: inout [NumberedLine], _ work: Work) throws -> Bool {
        try work.hinter.addHints(to: &batch, pausingFor: commitGate)
        guard queue.push(batch) else { return false }
        // While the writer stores the batch, the pages it will take next are brought into the page
        // cache here (``Environment/prefetchGrowth(bytes:from:)``): 4 KiB an event, about three
        // batches of the 1.3 KB an event takes on disk, so the writer finds them there.
        prefetched = work.environment.prefetchGrowth(bytes: batch.count * 4096, from: prefetched)
        return true
    }

    /// Waits until `run()` has returned: the thread no longer touches the input or the ledger.
    func waitUntilExited() {
        exited.lock()
        while !hasExited { exited.wait() }
        exited.unlock()
    }

    func run() {
        if let work { produce(work) }
        queue.freeSpentUntilCancelled()
        work = nil
        exited.lock()
        hasExited = true
        exited.broadcast()
        exited.unlock()
    }

    private func produce(_ work: Work) {
        do {
            var batch: [NumberedLine] = []
            batch.reserveCapacity(batchSize)
            while let line = try work.reader.next() {
                commitGate.waitWhileCommitting()
                let prepared: PreparedLine =
                    line.tooLong
                    ? .rejected(
                        Rejection(
                            line: line.number, field: nil, rule: .lineTooLong,
                            message: "the line is longer than \(EventPreparer.maxLineBytes) bytes"))
                    : work.preparer.prepare(line.bytes[...], line: line.number)
                batch.append(NumberedLine(number: line.number, prepared: prepared))
                if batch.count == batchSize {
                    guard try push(&batch, work) else { return }
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { guard try push(&batch, work) else { return } }
            queue.finish(error: nil)
        } catch {
            queue.finish(error: error)
        }
    }
}
