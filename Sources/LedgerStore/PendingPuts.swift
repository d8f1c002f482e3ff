import Foundation

/// Bytes copied into memory that never moves until the arena is dropped: a write transaction's
/// pending keys and values, lent as pointers without an array per entry.
final class ByteArena {
    private var chunks: [UnsafeMutableRawPointer] = []
    private var current: UnsafeMutableRawPointer?
    private var used = 0
    private var capacity = 0
    private static let chunkSize = 1 << 16

    deinit { for chunk in chunks { chunk.deallocate() } }

    /// A copy of `bytes`, valid as long as the arena.
    func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard bytes.count > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if current == nil || used + bytes.count > capacity {
            let size = max(Self.chunkSize, bytes.count)
            let chunk = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            chunks.append(chunk)
            current = chunk
            used = 0
            capacity = size
        }
        let destination = current! + used
        destination.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        used += bytes.count
        return UnsafeRawBufferPointer(start: destination, count: bytes.count)
    }
}

/// A write transaction's puts to one run index, before they become a run: found by key, or by the
/// part of the key a filter covers (a subject) in key order, and handed out sorted when flushed.
final class PendingPuts {
    struct Entry {
        let key: UnsafeRawBufferPointer
        var value: UnsafeRawBufferPointer
    }

    private let arena = ByteArena()
    private(set) var entries: [Entry] = []
    private var byKey = ByteTable<Int>()
    /// Per subject (a key's first 0-terminated part), the entries' positions in key order; only for
    /// indexes whose filters cover subjects.
    private var byFilterKey = ByteTable<[Int]>()
    private let scope: FilterScope
    /// Whether puts can be read back before the flush. A rebuild's puts are never read back, and
    /// indexing them was a fifth of its time.
    let isReadable: Bool
    /// Puts that are not read back, in the order they arrived: lists already sorted (adopted from
    /// ``SortedPuts``, or this object's own loose puts, sorted when a list is adopted after them).
    private var sortedLists: [[Entry]] = []
    private var sortedListsCount = 0
    /// The adopted puts whose arenas hold the bytes of `sortedLists`.
    private var adopted: [SortedPuts] = []

    init(scope: FilterScope, readable: Bool = true) {
        self.scope = scope
        isReadable = readable
    }

    var count: Int { entries.count + sortedListsCount }
    var isEmpty: Bool { count == 0 }

    /// Takes puts sorted elsewhere, as if they were put now, one after the other.
    func adopt(_ puts: SortedPuts) {
        precondition(!isReadable, "adopted puts are not indexed for reading")
        closeLoosePuts()
        sortedLists.append(puts.sorted)
        sortedListsCount += puts.count
        adopted.append(puts)
    }

    /// Turns the loose puts so far into one sorted list, after those already listed.
    private func closeLoosePuts() {
        guard !entries.isEmpty else { return }
        sortedLists.append(Self.sortedKeepingLast(entries))
        sortedListsCount += sortedLists[sortedLists.count - 1].count
        entries = []
    }

    func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        guard isReadable else {
            entries.append(Entry(key: arena.copy(key), value: arena.copy(value)))
            return
        }
        // One hash per put, not two (a look, then an insert): the key is copied first and the
        // table's slot is found or taken in one go. A key put twice in one transaction is rare, and
        // its second copy is left in the arena.
        let stored = arena.copy(key)
        let position = entries.count
        if let known = byKey.insertIfAbsent(stored, position) {
            entries[known].value = arena.copy(value)
            return
        }
        entries.append(Entry(key: stored, value: arena.copy(value)))
        guard let subject = scope.subjectLength(stored) else { return }
        let filterKey = UnsafeRawBufferPointer(rebasing: stored[..<subject])
        // Keep the group sorted (one subject's puts in this transaction), in place: the place found
        // by bisection, since a subject with a long history puts dozens of entries in one batch.
        let entries = self.entries
        byFilterKey.update(filterKey, default: []) { group in
            group.insertSorted(position) { compareBytes(entries[$0].key, entries[$1].key) < 0 }
        }
    }

    func value(for key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        precondition(isReadable, "these puts are not indexed for reading")
        return byKey[key].map { entries[$0].value }
    }

    /// The entries whose key starts with `prefix`, in key order.
    func entries(withPrefix prefix: UnsafeRawBufferPointer) -> [Entry] {
        precondition(isReadable, "these puts are not indexed for reading")
        if let length = scope.subjectLength(prefix) {
            guard let group = byFilterKey[UnsafeRawBufferPointer(rebasing: prefix[..<length])] else {
                return []
            }
            // The group is in key order, and the keys that start with `prefix` are the run that begins
            // at the first key not less than it: found by bisection, not by testing a subject's every
            // pending put (about fifty in an import's batch, which made this a twentieth of its writer).
            let entries = self.entries
            var low = 0
            var high = group.count
            while low < high {
                let middle = (low + high) / 2
                if compareBytes(entries[group[middle]].key, prefix) < 0 { low = middle + 1 } else { high = middle }
            }
            var end = low
            while end < group.count, hasPrefix(entries[group[end]].key, prefix) { end += 1 }
            // One allocation of the size found: growing an array from empty reallocated it about
            // twice a call, a tenth of this lookup's cost.
            return group[low..<end].map { entries[$0] }
        }
        return entries.filter { hasPrefix($0.key, prefix) }.sorted { compareBytes($0.key, $1.key) < 0 }
    }

    /// Every entry in key order, each key once (the last put's value, when puts that are not read
    /// back repeat a key), handed out one at a time: the bytes stay valid while this object lives.
    func sortedMerge() -> SortedMerge {
        guard !isReadable else {
            // Readable puts hold each key once: the order is the keys' order.
            let entries = self.entries
            return SortedMerge([sortedPositions(count: entries.count) { entries[$0].key }.map { entries[$0] }])
        }
        closeLoosePuts()
        return SortedMerge(sortedLists)
    }

    /// The same, in one array.
    func sorted() -> [Entry] {
        var sorted: [Entry] = []
        sorted.reserveCapacity(count)
        let merge = sortedMerge()
        while let entry = merge.next() { sorted.append(entry) }
        return sorted
    }

    /// `entries` in key order, each key once: of equal keys the later put sorts later, and replaces
    /// the earlier.
    static func sortedKeepingLast(_ entries: [Entry]) -> [Entry] {
        let order = sortedPositions(count: entries.count) { entries[$0].key }
        var sorted: [Entry] = []
        sorted.reserveCapacity(entries.count)
        for entry in order.map({ entries[$0] }) {
            if let last = sorted.last, compareBytes(last.key, entry.key) == 0 {
                sorted[sorted.count - 1] = entry
            } else {
                sorted.append(entry)
            }
        }
        return sorted
    }
}

/// Sorted lists of puts merged, one entry at a time, each key once: where lists share a key, the
/// latest list's entry. A class, so that a merge can be left halfway and taken up again (a rebuild
/// writes a run between the batches it stores).
final class SortedMerge {
    private let lists: [[PendingPuts.Entry]]
    private var heads: [Int]
    private var tournament: Tournament
    private var last: PendingPuts.Entry?

    init(_ lists: [[PendingPuts.Entry]]) {
        let heads = [Int](repeating: 0, count: lists.count)
        self.lists = lists
        self.heads = heads
        tournament = Tournament(sources: lists.count, isLive: { !lists[$0].isEmpty }) {
            Self.precedes($0, $1, lists, heads)
        }
    }

    /// The smaller key first, and of equal keys the later list's.
    private static func precedes(_ a: Int, _ b: Int, _ lists: [[PendingPuts.Entry]], _ heads: [Int]) -> Bool {
        let order = compareBytes(lists[a][heads[a]].key, lists[b][heads[b]].key)
        return order < 0 || (order == 0 && a > b)
    }

    /// The next entry in key order; nil once every list is spent.
    func next() -> PendingPuts.Entry? {
        // One list (an import's puts, a rebuild's small run) has nothing to merge, nor a key twice.
        if lists.count == 1 {
            guard heads[0] < lists[0].count else { return nil }
            defer { heads[0] += 1 }
            return lists[0][heads[0]]
        }
        while let winner = tournament.winner {
            let entry = lists[winner][heads[winner]]
            heads[winner] += 1
            let (lists, heads) = (lists, heads)
            tournament.update(winner, isLive: heads[winner] < lists[winner].count) {
                Self.precedes($0, $1, lists, heads)
            }
            // The later list's entry came first; an earlier list's for the same key is dropped.
            if let last, compareBytes(last.key, entry.key) == 0 { continue }
            last = entry
            return entry
        }
        return nil
    }
}

extension Array where Element == Int {
    /// Inserts `element` after every element not greater than it; the array must be sorted. Appends
    /// at once when `element` sorts last (puts mostly arrive in key order: an event's items, a
    /// subject's growing sequence numbers), else finds the place by bisection.
    mutating func insertSorted(_ element: Int, by isLess: (Int, Int) -> Bool) {
        guard let last = self.last, isLess(element, last) else {
            append(element)
            return
        }
        var low = 0
        var high = count - 1
        while low < high {
            let middle = (low + high) / 2
            if isLess(element, self[middle]) { high = middle } else { low = middle + 1 }
        }
        insert(element, at: low)
    }
}
