/// The workload's source of randomness: plain 64-bit integer arithmetic, so that a seed gives the same
/// stream on every machine and every Swift version. Nothing here is fit for cryptography, and nothing
/// needs to be. Floating point is avoided on purpose: `pow` and `log` may round differently between C
/// libraries, which would make two machines disagree about a rare choice and then about everything
/// after it.
public protocol WorkloadRandom {
    mutating func next() -> UInt64
}

extension WorkloadRandom {
    /// A uniform integer in `0..<bound` (`bound` > 0), by the multiply-high method: one multiplication,
    /// no division. Its bias is at most bound / 2⁶⁴, far below anything a workload can notice.
    @inline(__always)
    public mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A uniform integer in `range`.
    @inline(__always)
    public mutating func within(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `percent` / 100.
    @inline(__always)
    public mutating func percent(_ percent: Int) -> Bool { below(100) < percent }

    /// True with probability `perMille` / 1000, for the rarer choices.
    @inline(__always)
    public mutating func perMille(_ perMille: Int) -> Bool { below(1000) < perMille }

    /// A uniform element of a non-empty array.
    @inline(__always)
    public mutating func element<T>(of array: [T]) -> T { array[below(array.count)] }
}

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014): one
/// word of state advanced by a constant, each output a bijective mix of it. Used to seed xoshiro and
/// to derive a person's identity from (seed, index) on demand, so that identities need no storage.
public struct SplitMix64: WorkloadRandom, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The output function on its own: a bijection of 64-bit words that spreads every input bit over
    /// the whole output, for hashing small integers (indexes, versions) into independent seeds.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number generators", 2018): the
/// main stream of choices. 256 bits of state, so ten million events use a vanishing part of its period.
public struct Xoshiro256StarStar: WorkloadRandom, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the state from SplitMix64, as the authors advise: any seed, even 0, gives a state that is
    /// not all zeros and whose words are unrelated.
    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        s0 = seeder.next()
        s1 = seeder.next()
        s2 = seeder.next()
        s3 = seeder.next()
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Self.rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotateLeft(s3, 45)
        return result
    }

    @inline(__always)
    private static func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
