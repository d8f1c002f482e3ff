import Foundation

/// One sorted run of a ``RunIndex``, as its directory lists it.
public struct RunDescriptor: Equatable, Sendable {
    /// The run's number: the 4-byte big-endian prefix of its entries' keys. Never reused once
    /// committed (a run dropped with its aborted transaction may leave its number to the next).
    public let id: UInt32
    /// Larger is newer. Where two runs hold the same key, the newer one's value is the index's.
    public let recency: UInt64
    /// How many flushes the run holds: 1 for a flushed run, the sum of its inputs' for a merged one,
    /// and for a rebuild's run the power of `fanIn` it was weighed at (``RunIndexWriter/flush(weight:)``).
    /// The newest `fanIn` runs are merged when their weights are equal, which makes the weights a
    /// base-`fanIn` counter of flushes whatever their sizes: at most `fanIn` − 1 runs of each weight,
    /// and every entry rewritten once per digit.
    public let weight: UInt64
    public let entries: UInt64
}

/// The list of a ``RunIndex``'s runs, newest first, and the counters that keep run numbers and
/// recencies unique. Stored as one value (see docs/FORMAT.md, "Sorted runs"):
///
/// | size | content |
/// | --- | --- |
/// | 1 | format version `0x01` |
/// | 4 | the next run number |
/// | 8 | the next recency |
/// | 4 | N, the number of runs |
/// | N × 28 | per run, newest first: number (4), recency (8), weight (8), entries (8) |
///
/// All integers big-endian.
struct RunDirectory: Equatable, Sendable {
    static let formatVersion: UInt8 = 1
    var nextRunID: UInt32 = 1
    var nextRecency: UInt64 = 1
    /// Newest first.
    var runs: [RunDescriptor] = []

    var entryCount: UInt64 { runs.reduce(0) { $0 + $1.entries } }

    func encoded() -> [UInt8] {
        // Written straight into one buffer: the directory is stored at every commit.
        [UInt8](unsafeUninitializedCapacity: 17 + runs.count * 28) { buffer, count in
            var offset = 0
            func put<T: FixedWidthInteger>(_ value: T) {
                withUnsafeBytes(of: value.bigEndian) { bytes in
                    for byte in bytes {
                        buffer[offset] = byte
                        offset += 1
                    }
                }
            }
            put(Self.formatVersion)
            put(nextRunID)
            put(nextRecency)
            put(UInt32(runs.count))
            for run in runs {
                put(run.id)
                put(run.recency)
                put(run.weight)
                put(run.entries)
            }
            count = offset
        }
    }

    init() {}

    /// Decodes a stored directory; `nil` when it is malformed or of an unknown version.
    init?(decoding bytes: [UInt8]) {
        guard bytes.count >= 17, bytes[0] == Self.formatVersion,
            let next = BigEndian.uint32(bytes, at: 1), let recency = BigEndian.uint64(bytes, at: 5),
            let count = BigEndian.uint32(bytes, at: 13).map(Int.init), bytes.count == 17 + count * 28
        else { return nil }
        nextRunID = next
        nextRecency = recency
        var offset = 17
        for _ in 0..<count {
            guard let id = BigEndian.uint32(bytes, at: offset),
                let runRecency = BigEndian.uint64(bytes, at: offset + 4),
                let weight = BigEndian.uint64(bytes, at: offset + 12),
                let entries = BigEndian.uint64(bytes, at: offset + 20),
                id > 0, id < next, runRecency < recency, weight > 0, entries > 0
            else { return nil }
            runs.append(RunDescriptor(id: id, recency: runRecency, weight: weight, entries: entries))
            offset += 28
        }
        // Newest first, each number once.
        guard zip(runs, runs.dropFirst()).allSatisfy({ $0.recency > $1.recency }),
            Set(runs.map(\.id)).count == runs.count
        else { return nil }
    }
}

/// The directory last decoded or stored for an index, by its bytes: every transaction that touches
/// the index reads its directory, which is the one the last flush stored, and decoding it afresh
/// (an array of descriptors each time) was a twentieth of a single append. Keyed by the whole
/// encoding, which the directory is a function of, so a directory stored by a transaction that then
/// aborted is never wrongly found.
final class DecodedDirectoryCache: @unchecked Sendable {
    // @unchecked: `bytes` and `decoded` are only touched with `lock` held.
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var decoded: RunDirectory?

    /// The directory `stored` encodes (nil when it is malformed), decoded only when it differs from
    /// the last.
    func directory(decoding stored: UnsafeRawBufferPointer) -> RunDirectory? {
        lock.withLock {
            if let decoded, bytes.withUnsafeBytes({ compareBytes(stored, $0) == 0 }) { return decoded }
            let copied = Array(stored)
            guard let directory = RunDirectory(decoding: copied) else { return nil }
            bytes = copied
            decoded = directory
            return directory
        }
    }

    func remember(_ directory: RunDirectory, encodedAs encoded: [UInt8]) {
        lock.withLock {
            bytes = encoded
            decoded = directory
        }
    }
}
