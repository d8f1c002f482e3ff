import CLMDB
import Foundation

/// The outcome of recomputing the log.
public enum LogVerification: Equatable, Sendable {
    /// Every record, stored node and the root agree; `nodes` is the number of stored tree nodes.
    case intact(head: TreeHead, nodes: Int)
    /// The first disagreement found, at the sequence number it concerns.
    case damaged(sequence: UInt64, problem: String)
}

/// Looks at each record while the tree is being recomputed, on the verifying thread that read it: the
/// record's own format, and whatever the caller counts. One inspector belongs to one thread at a time
/// (it is handed to its thread, then read back once the pass is over).
public protocol RecordInspector: AnyObject, Sendable {
    /// The problem with the record stored under `sequence`, nil when there is none.
    func inspect(sequence: UInt64, record: UnsafeRawBufferPointer) -> String?
}

/// Recomputes the tree from the records and compares every stored node, reading everything in key
/// order: first the records beside the stored leaf hashes, then each level's stored nodes beside the
/// level below (both ranges walked with cursors, no lookups). Reports the earliest damage in record
/// order — the record that completes the first node (or leaf) that disagrees — then checks that the
/// tree holds no node beyond those (a record deleted from the end leaves its leaf behind).
///
/// The work is split by index range over `workers` threads, each in a read transaction of its own:
/// the records and stored nodes below the size being verified never change, so a worker whose
/// snapshot is newer reads the same bytes. What depends on the snapshot (the size, nodes beyond it)
/// is read in the caller's transaction.
struct LogVerifier {
    let log: AppendOnlyLog
    let txn: Transaction

    /// The first disagreement found so far: the record that completes it, and what it is.
    struct Damage: Sendable {
        let sequence: UInt64
        let problem: String
    }

    func run(
        workers: Int, inspectors: [any RecordInspector], progress: (UInt64) -> Void
    ) throws -> LogVerification {
        precondition(inspectors.isEmpty || inspectors.count == workers, "one inspector per worker")
        let hasher = SHA256Hasher()
        let size = try log.size(in: txn)
        let log = self.log
        // The slices start at multiples of 2^fused, so every node up to that level lies inside one
        // slice: it is computed there from the slice's own leaves, as the records stream past.
        let slices = size < 4_096 ? 1 : max(1, workers)
        let fused = slices == 1 ? 64 : Self.fusedLevels(size: size, slices: slices)
        let bounds = (0...slices).map { slice in
            slice == slices ? size : ((size * UInt64(slice) / UInt64(slices)) >> UInt64(fused)) << UInt64(fused)
        }
        var damage = try parallel(bounds: bounds) { range, worker, txn in
            try Self.verifyLeavesAndNodes(
                log, range, upToLevel: fused, in: txn, inspector: inspectors.isEmpty ? nil : inspectors[worker])
        }
        progress(size)
        // The levels above, as far as nodes completed before any damage already found: a few nodes
        // each, read back from the level below.
        var level = fused + 1
        while level < 64 && size >> UInt64(level) > 0 {
            let limit = damage?.sequence ?? size
            let current = level
            let found = try parallel(workers: workers, count: size >> UInt64(level)) { range, _, txn in
                try Self.verifyLevel(log, current, indices: range, before: limit, in: txn)
            }
            if let found, found.sequence < damage?.sequence ?? .max { damage = found }
            level += 1
        }
        if let damage { return .damaged(sequence: damage.sequence, problem: damage.problem) }

        let storedNodes = try txn.statistics(log.tree.nodes).entries
        let expectedNodes = Int(2 * size) - size.nonzeroBitCount
        if storedNodes != expectedNodes {
            if try txn.get(log.tree.nodes, key: MerkleTree.key(level: 0, index: size)) != nil {
                return .damaged(sequence: size, problem: "record \(size) is missing but its leaf hash is stored")
            }
            return .damaged(
                sequence: size,
                problem: "the tree stores \(storedNodes) nodes where \(size) records make \(expectedNodes)")
        }
        // The root folds the perfect subtrees of the size's binary decomposition (indexed by level, as
        // foldRoot takes them); each is a stored node the passes above have just checked.
        var subtrees = [Digest?](repeating: nil, count: 64)
        for level in 0..<64 where size >> UInt64(level) & 1 == 1 {
            let index = (size >> UInt64(level)) - 1
            guard let bytes = try txn.get(log.tree.nodes, key: MerkleTree.key(level: level, index: index)),
                let digest = Digest(bytes: bytes)
            else {
                return .damaged(
                    sequence: size - 1, problem: "stored Merkle node (level \(level), index \(index)) is missing")
            }
            subtrees[level] = digest
        }
        let root = try MerkleHashing.foldRoot(subtrees, using: hasher) ?? MerkleHashing.emptyRoot(using: hasher)
        return .intact(head: TreeHead(size: size, root: root), nodes: storedNodes)
    }

    /// The highest level the leaves pass computes itself when `size` records are split into `slices`:
    /// slices then start at multiples of 2^level and stay within a sixteenth of a slice of even, and
    /// the levels above hold a few dozen nodes.
    static func fusedLevels(size: UInt64, slices: Int) -> Int {
        let grain = size / UInt64(slices * 16)
        return grain == 0 ? 0 : 63 - grain.leadingZeroBitCount
    }

    /// Runs `body` over `workers` consecutive slices of `0..<count`: the first slice in the caller's
    /// transaction on this thread, the others each on a thread of its own in a read transaction of its
    /// own. Returns the earliest damage any slice found.
    private func parallel(
        workers: Int, count: UInt64,
        _ body: @escaping @Sendable (Range<UInt64>, Int, Transaction) throws -> Damage?
    ) throws -> Damage? {
        // Small ranges are not worth a thread.
        let slices = count < 4_096 ? 1 : max(1, workers)
        return try parallel(bounds: (0...slices).map { count * UInt64($0) / UInt64(slices) }, body)
    }

    /// Runs `body` over the slices `bounds[k]..<bounds[k + 1]`, as ``parallel(workers:count:_:)`` does.
    private func parallel(
        bounds: [UInt64], _ body: @escaping @Sendable (Range<UInt64>, Int, Transaction) throws -> Damage?
    ) throws -> Damage? {
        let slices = bounds.count - 1
        let results = ParallelResults(count: slices)
        let environment = log.environment
        let threads = (1..<slices).map { worker in
            let thread = Thread {
                results.store(worker) {
                    try environment.read { try body(bounds[worker]..<bounds[worker + 1], worker, $0) }
                }
            }
            thread.stackSize = 4 << 20
            thread.start()
            return thread
        }
        _ = threads
        results.store(0) { try body(bounds[0]..<bounds[1], 0, txn) }
        return try results.wait().compactMap { $0 }.min { $0.sequence < $1.sequence }
    }

    /// The records in `range` against the stored leaf hashes (level 0), each record also shown to
    /// `inspector`; and every node up to level `top` that the range's leaves complete, computed from
    /// the recomputed leaves as they come (the left children waiting, one per level) and compared
    /// with its stored node. Every level is read in order by a cursor of its own, so nothing is
    /// looked up and no stored node is read twice. `range` starts at a multiple of 2^top. Stops at
    /// the first disagreement, which is the earliest in record order: a node is compared as soon as
    /// the record that completes it has been.
    private static func verifyLeavesAndNodes(
        _ log: AppendOnlyLog, _ range: Range<UInt64>, upToLevel top: Int, in txn: Transaction,
        inspector: (any RecordInspector)?
    ) throws -> Damage? {
        guard !range.isEmpty else { return nil }
        precondition(top >= 64 || range.lowerBound % (1 << UInt64(top)) == 0, "a slice starts inside a subtree")
        // The levels this range completes a node of: up to the highest whose node fits in it.
        let width = range.upperBound - range.lowerBound
        let levels = min(top, 63 - width.leadingZeroBitCount) + 1
        let climber = LeafClimber(levels: levels, inspector: inspector)
        return try txn.withCursor(log.records) { records in
            try withNodeCursors(levels, log, txn) { nodeCursors in
                var expected = range.lowerBound
                var first = true
                while expected < range.upperBound {
                    // Closure literals, not a closure value: nothing is allocated per record.
                    let outcome: Damage?? =
                        first
                        ? try records.withEntry(atLeast: BigEndian.bytes(expected)) {
                            try climber.check($0, $1, expected: expected, &nodeCursors)
                        }
                        : try records.withEntry(.next) { try climber.check($0, $1, expected: expected, &nodeCursors) }
                    first = false
                    guard let outcome else {
                        return Damage(sequence: expected, problem: "record \(expected) is missing")
                    }
                    if let damage = outcome { return damage }
                    expected += 1
                }
                return nil
            }
        }
    }

    /// Opens one cursor on the tree's nodes per level `0..<count` and lends them, each walking its
    /// level, to `body`.
    private static func withNodeCursors<T>(
        _ count: Int, _ log: AppendOnlyLog, _ txn: Transaction, _ body: (inout [NodeCursor]) throws -> T
    ) throws -> T {
        var opened: [NodeCursor] = []
        opened.reserveCapacity(count)
        func open(_ level: Int) throws -> T {
            guard level < count else { return try body(&opened) }
            return try txn.withCursor(log.tree.nodes) { cursor in
                opened.append(NodeCursor(cursor: cursor, level: level))
                return try open(level + 1)
            }
        }
        return try open(0)
    }

    /// Level `level`'s stored nodes `indices` against the nodes recomputed from the stored level below
    /// (checked by the previous pass), for the nodes completed by records before `limit`.
    private static func verifyLevel(
        _ log: AppendOnlyLog, _ level: Int, indices: Range<UInt64>, before limit: UInt64, in txn: Transaction
    ) throws -> Damage? {
        guard !indices.isEmpty else { return nil }
        let hasher = SHA256Hasher()
        return try txn.withCursor(log.tree.nodes) { lower in
            try txn.withCursor(log.tree.nodes) { upper in
                var children = NodeCursor(cursor: lower, level: level - 1)
                var parents = NodeCursor(cursor: upper, level: level)
                // 0x01 ‖ left ‖ right, refilled for each node.
                var input = [UInt8](repeating: 0, count: 1 + 2 * Digest.byteCount)
                input[0] = MerkleHashing.nodePrefix[0]
                let digest = UnsafeMutableRawBufferPointer.allocate(byteCount: Digest.byteCount, alignment: 8)
                defer { digest.deallocate() }
                let nothing = UnsafeRawBufferPointer(start: nil, count: 0)
                for index in indices {
                    let completedBy = (index + 1) << UInt64(level) - 1
                    guard completedBy < limit else { return nil }
                    guard try children.copy(index: 2 * index, into: &input, at: 1),
                        try children.copy(index: 2 * index + 1, into: &input, at: 1 + Digest.byteCount)
                    else {
                        return Damage(
                            sequence: completedBy,
                            problem: "stored Merkle node (level \(level - 1), index \(2 * index)) is missing")
                    }
                    try input.withUnsafeBytes { try hasher.digest($0, nothing, into: digest) }
                    if let problem = try parents.compare(UnsafeRawBufferPointer(digest), index: index) {
                        return Damage(sequence: completedBy, problem: problem)
                    }
                }
                return nil
            }
        }
    }
}

/// What each slice of a parallel pass found, and the wait for all of them.
private final class ParallelResults: @unchecked Sendable {
    // @unchecked: every field is touched only with `condition` locked.
    private let condition = NSCondition()
    private var results: [Result<LogVerifier.Damage?, Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func store(_ slot: Int, _ body: () throws -> LogVerifier.Damage?) {
        let result = Result { try body() }
        condition.lock()
        results[slot] = result
        condition.broadcast()
        condition.unlock()
    }

    /// Every slice's damage (nil where none), once all are done; rethrows the first error.
    func wait() throws -> [LogVerifier.Damage?] {
        condition.lock()
        while results.contains(where: { $0 == nil }) { condition.wait() }
        let done = results
        condition.unlock()
        return try done.map { try $0!.get() }
    }
}

/// One verifying thread's leaf hashing and climb: each record's leaf against the stored leaf, then
/// every node it completes against the stored node, with the left children waiting, one per level.
private final class LeafClimber {
    private let levels: Int
    private let inspector: (any RecordInspector)?
    private let hasher = SHA256Hasher()
    private let leafPrefix = MerkleHashing.leafPrefix
    /// About two records: the next one and its node header, with room for a longer one.
    private static let prefetchBytes = 768
    /// Per level below the top, the left child waiting for its right sibling.
    private let lefts: UnsafeMutableRawBufferPointer
    /// The node being climbed: 0x01 ‖ left ‖ right, hashed in place.
    private let input: UnsafeMutableRawBufferPointer
    private let digest: UnsafeMutableRawBufferPointer

    init(levels: Int, inspector: (any RecordInspector)?) {
        self.levels = levels
        self.inspector = inspector
        lefts = UnsafeMutableRawBufferPointer.allocate(byteCount: levels * Digest.byteCount, alignment: 8)
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 + 2 * Digest.byteCount, alignment: 8)
        digest = UnsafeMutableRawBufferPointer.allocate(byteCount: Digest.byteCount, alignment: 8)
        input[0] = MerkleHashing.nodePrefix[0]
    }

    deinit {
        lefts.deallocate()
        input.deallocate()
        digest.deallocate()
    }

    /// The damage the record stored under `key`, expected to be record `expected`, shows: in its
    /// key, its leaf, what the inspector finds, or a node it completes. Nil when there is none.
    func check(
        _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, expected: UInt64,
        _ nodeCursors: inout [NodeCursor]
    ) throws -> LogVerifier.Damage? {
        guard key.count == 8, let sequence = BigEndian.uint64(key) else {
            return LogVerifier.Damage(sequence: expected, problem: "a record key is not an 8-byte sequence number")
        }
        if sequence != expected {
            return LogVerifier.Damage(sequence: expected, problem: "record \(expected) is missing")
        }
        // The next record most likely lies just below this one, in the same page.
        if let start = value.baseAddress { lineage_prefetch_below(start, Self.prefetchBytes) }
        try leafPrefix.withUnsafeBytes { try hasher.digest($0, value, into: digest) }
        if let problem = try nodeCursors[0].compare(UnsafeRawBufferPointer(digest), index: sequence) {
            return LogVerifier.Damage(sequence: sequence, problem: problem)
        }
        if let problem = inspector?.inspect(sequence: sequence, record: value) {
            return LogVerifier.Damage(sequence: sequence, problem: problem)
        }
        // Climb while the node just checked is a right child: its parent is complete.
        let nothing = UnsafeRawBufferPointer(start: nil, count: 0)
        var index = sequence
        var level = 0
        while level + 1 < levels {
            let left = lefts.baseAddress! + level * Digest.byteCount
            guard index & 1 == 1 else {
                left.copyMemory(from: digest.baseAddress!, byteCount: Digest.byteCount)
                break
            }
            (input.baseAddress! + 1).copyMemory(from: left, byteCount: Digest.byteCount)
            (input.baseAddress! + 1 + Digest.byteCount).copyMemory(
                from: digest.baseAddress!, byteCount: Digest.byteCount)
            try hasher.digest(UnsafeRawBufferPointer(input), nothing, into: digest)
            index >>= 1
            level += 1
            if let problem = try nodeCursors[level].compare(UnsafeRawBufferPointer(digest), index: index) {
                return LogVerifier.Damage(sequence: sequence, problem: problem)
            }
        }
        return nil
    }
}

/// Walks one level of the stored tree in index order, expecting every index in turn.
private struct NodeCursor {
    let cursor: Cursor
    let level: Int
    private var started = false
    /// level ‖ index, rewritten in place for each node rather than built anew.
    private var expectedKey: [UInt8]

    init(cursor: Cursor, level: Int) {
        self.cursor = cursor
        self.level = level
        expectedKey = MerkleTree.key(level: level, index: 0)
    }

    /// Moves to the node `index` and calls `body` with its stored bytes; nil when the next stored
    /// entry is not that node (it is missing).
    private mutating func advance<T>(to index: UInt64, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        for byte in 0..<8 { expectedKey[1 + byte] = UInt8(truncatingIfNeeded: index >> (8 * (7 - UInt64(byte)))) }
        let found: T??
        if started {
            found = try expectedKey.withUnsafeBytes { expected in
                try cursor.withEntry(.next) { key, value in Self.equal(key, expected) ? try body(value) : nil }
            }
        } else {
            let expected = expectedKey
            found = try cursor.withEntry(atLeast: expected) { key, value in
                expected.withUnsafeBytes { Self.equal(key, $0) } ? try body(value) : nil
            }
        }
        started = true
        return found ?? nil
    }

    private static func equal(_ stored: UnsafeRawBufferPointer, _ bytes: UnsafeRawBufferPointer) -> Bool {
        stored.count == bytes.count && memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0
    }

    /// The problem with stored node `index` against the recomputed `digest`, nil when they agree.
    mutating func compare(_ digest: UnsafeRawBufferPointer, index: UInt64) throws -> String? {
        let agrees = try advance(to: index) { stored in Self.equal(stored, digest) }
        guard let agrees else {
            started = false  // the cursor sits past the gap: seek to the next expected key from here on
            return "stored Merkle node (level \(level), index \(index)) is missing"
        }
        if agrees { return nil }
        return level == 0
            ? "record \(index) does not match its stored leaf hash"
            : "stored Merkle node (level \(level), index \(index)) does not match the records"
    }

    /// Copies stored node `index` into `buffer` at `offset`; false when it is missing or not a digest.
    mutating func copy(index: UInt64, into buffer: inout [UInt8], at offset: Int) throws -> Bool {
        try advance(to: index) { stored -> Bool in
            guard stored.count == Digest.byteCount else { return false }
            buffer.withUnsafeMutableBytes { target in
                target.baseAddress!.advanced(by: offset).copyMemory(from: stored.baseAddress!, byteCount: stored.count)
            }
            return true
        } ?? false
    }
}
