/// Puts to a run index sorted by key away from the write transaction's thread: a rebuild's decoder
/// threads sort each batch's entries, and the writer only merges the sorted batches when it flushes
/// (``RunIndexWriter/adopt(_:)``). Sorting half a million entries on the writer, after the decoders
/// were done, was a third of a rebuild's time on one core while the other stood idle.
///
/// Built and sorted on one thread, then handed over and only read: that is what makes it `Sendable`.
public final class SortedPuts: @unchecked Sendable {
    private let arena = ByteArena()
    private var entries: [PendingPuts.Entry] = []
    private var isSorted = false

    public init() {}

    public var count: Int { entries.count }

    /// Adds a put; both are copied.
    public func put(_ key: [UInt8], _ value: [UInt8]) {
        precondition(!isSorted, "puts were added to SortedPuts after they were sorted")
        key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in entries.append(PendingPuts.Entry(key: arena.copy(k), value: arena.copy(v))) }
        }
    }

    /// Sorts the puts by key, each key once (the last put's value). No put may be added after.
    public func sort() {
        entries = PendingPuts.sortedKeepingLast(entries)
        isSorted = true
    }

    /// The sorted entries; their bytes live as long as this object.
    var sorted: [PendingPuts.Entry] {
        precondition(isSorted, "SortedPuts read before they were sorted")
        return entries
    }
}
