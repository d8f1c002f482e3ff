/// A blocked Bloom filter over the filter keys of one run of a ``RunIndex``: a lookup that the filter
/// rules out costs one cache line instead of a B-tree descent into that run.
///
/// The filter is `blocks` blocks of 512 bits (64 bytes). A key's 64-bit hash ``hash(_:)`` picks its
/// block as `(hash × blocks) >> 64` and, from `mix(hash ^ 0x9E3779B97F4A7C15)`, seven bit positions
/// in that block: bits `9i … 9i+8` of the mixed value for i = 0…6. Bit b of a block is bit `b % 8`
/// (least significant first) of its byte `b / 8`. With ten bits per key the false-positive rate is
/// about 1 %. docs/FORMAT.md gives the same definition for auditors.
///
/// The hash is not cryptographic and needs not be: a key chosen to collide costs a wasted lookup,
/// never a wrong answer, because a filter only ever rules keys out.
public enum RunFilter {
    public static let blockBytes = 64
    static let probes = 7
    static let bitsPerKey = 10

    /// FNV-1a over the bytes, then the SplitMix64 finaliser, so that short keys that differ in one
    /// byte spread over all 64 bits.
    @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return mix(hash)
    }

    public static func hash(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { hash($0) } }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The number of blocks for `keys` distinct filter keys: at least one.
    public static func blockCount(forKeys keys: Int) -> Int {
        max(1, (keys * bitsPerKey + 511) / 512)
    }

    /// A filter holding every hash in `hashes`.
    public static func build(hashes: [UInt64]) -> [UInt8] {
        let blocks = blockCount(forKeys: hashes.count)
        var bits = [UInt8](repeating: 0, count: blocks * blockBytes)
        bits.withUnsafeMutableBytes { buffer in
            for hash in hashes {
                let base = block(of: hash, blocks: blocks) * blockBytes
                var positions = mix(hash ^ 0x9e37_79b9_7f4a_7c15)
                for _ in 0..<probes {
                    let bit = Int(positions & 511)
                    buffer[base + bit >> 3] |= 1 << UInt8(bit & 7)
                    positions >>= 9
                }
            }
        }
        return bits
    }

    /// Whether a key with this hash may be in the run: false means certainly not. A filter of the
    /// wrong size (not whole blocks) rules nothing out.
    @inline(__always)
    public static func mayContain(_ hash: UInt64, filter: UnsafeRawBufferPointer) -> Bool {
        let blocks = filter.count / blockBytes
        guard blocks > 0, filter.count % blockBytes == 0 else { return true }
        let base = block(of: hash, blocks: blocks) * blockBytes
        var positions = mix(hash ^ 0x9e37_79b9_7f4a_7c15)
        for _ in 0..<probes {
            let bit = Int(positions & 511)
            if filter[base + bit >> 3] & (1 << UInt8(bit & 7)) == 0 { return false }
            positions >>= 9
        }
        return true
    }

    @inline(__always)
    static func block(of hash: UInt64, blocks: Int) -> Int {
        Int(hash.multipliedFullWidth(by: UInt64(blocks)).high)
    }
}
