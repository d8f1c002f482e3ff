/// Chooses whose event comes next, so that activity is skewed the way a collection company's is: most
/// people have a burst of events when their case arrives and a few more later, while a few (serial
/// debtors, long legal cases) have thousands.
///
/// Two mechanisms, mixed:
/// * a *recent* ring of the last people introduced, picked uniformly with probability
///   ``recentPercent``: every new case is busy for a while (letters, register checks, first payments),
///   which gives nearly everyone some tens of events;
/// * otherwise a weighted choice over everyone introduced so far, each person's weight drawn once from
///   a Pareto-like distribution (tail exponent about 1.5, capped), which gives the long tail.
///
/// The weighted choice uses a Fenwick tree of weights: adding a person and choosing one are both
/// O(log n), in 8 bytes per person.
struct PersonPicker {
    /// The share of choices that go to the recently introduced.
    static let recentPercent = 40
    static let recentCapacity = 64
    /// The smallest weight; tiers double it.
    static let baseWeight: UInt64 = 64
    /// Each further tier (doubling the weight) is reached with probability 23,170 / 65,536 ≈ 2^-1.5,
    /// so the share of weights above w falls as w^-1.5: a Pareto tail with exponent 1.5.
    static let tierThreshold = 23_170
    /// At most 2^9 times the base weight: enough for thousands of events at ten million events without
    /// letting one person take a visible share of the whole stream.
    static let maxTier = 8

    private var tree: [UInt64]
    private var total: UInt64 = 0
    private let topStep: Int
    private var recent: [Int32] = []
    private var recentNext = 0

    init(capacity: Int) {
        tree = [UInt64](repeating: 0, count: capacity + 1)
        var step = 1
        while step * 2 <= capacity { step *= 2 }
        topStep = step
        recent.reserveCapacity(Self.recentCapacity)
    }

    var isEmpty: Bool { total == 0 }

    /// Makes `person` (0-based, below the capacity) choosable, with a weight drawn from `random`.
    mutating func introduce(_ person: Int, random: inout some WorkloadRandom) {
        var tier = 0
        while tier < Self.maxTier && random.below(65_536) < Self.tierThreshold { tier += 1 }
        let weight = (Self.baseWeight + UInt64(random.below(Int(Self.baseWeight)))) << UInt64(tier)
        var index = person + 1
        while index < tree.count {
            tree[index] += weight
            index += index & -index
        }
        total += weight
        if recent.count < Self.recentCapacity {
            recent.append(Int32(person))
        } else {
            recent[recentNext] = Int32(person)
            recentNext = (recentNext + 1) % Self.recentCapacity
        }
    }

    /// A person introduced so far; there must be one.
    mutating func pick(random: inout some WorkloadRandom) -> Int {
        if random.below(100) < Self.recentPercent {
            return Int(recent[random.below(recent.count)])
        }
        // The person whose cumulative weight range holds a uniform point: descend the tree from the
        // largest power of two, keeping the prefix sum at or below the point.
        var point = UInt64(truncatingIfNeeded: random.next().multipliedFullWidth(by: total).high)
        var position = 0
        var step = topStep
        while step > 0 {
            let next = position + step
            if next < tree.count && tree[next] <= point {
                position = next
                point -= tree[next]
            }
            step >>= 1
        }
        return position
    }
}
