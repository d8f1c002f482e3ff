/// Which of k sorted sources holds the next entry of their merge, found with one comparison per
/// level of a binary tree (log₂ k) instead of one per source: each node holds the better of its two
/// children's sources, and only the path above a source that moved is played again. The sources
/// themselves stay with the caller, who says which of two comes first (`precedes`) and whether a
/// source still has an entry.
struct Tournament {
    /// Node i's children are 2i and 2i + 1; the leaves are `leaves..<2·leaves`; -1 is a source with
    /// nothing left (or no source).
    private var tree: [Int]
    private let leaves: Int

    init(sources: Int, isLive: (Int) -> Bool, precedes: (Int, Int) -> Bool) {
        var leaves = 1
        while leaves < sources { leaves <<= 1 }
        self.leaves = leaves
        tree = [Int](repeating: -1, count: 2 * leaves)
        for source in 0..<sources where isLive(source) { tree[leaves + source] = source }
        for node in stride(from: leaves - 1, through: 1, by: -1) {
            tree[node] = Self.better(tree[2 * node], tree[2 * node + 1], precedes)
        }
    }

    /// The source whose entry comes next; nil when every source is spent.
    var winner: Int? { tree[1] >= 0 ? tree[1] : nil }

    /// Plays again after `source` moved on to its next entry (or ran out: `isLive` false).
    mutating func update(_ source: Int, isLive: Bool, precedes: (Int, Int) -> Bool) {
        var node = leaves + source
        tree[node] = isLive ? source : -1
        while node > 1 {
            node >>= 1
            tree[node] = Self.better(tree[2 * node], tree[2 * node + 1], precedes)
        }
    }

    private static func better(_ a: Int, _ b: Int, _ precedes: (Int, Int) -> Bool) -> Int {
        if a < 0 { return b }
        if b < 0 { return a }
        return precedes(b, a) ? b : a
    }
}
