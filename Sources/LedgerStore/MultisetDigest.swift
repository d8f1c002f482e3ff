/// An order-independent digest of a multiset of byte strings: the sum, modulo 2²⁵⁶, of each
/// element's HMAC-SHA-256 under a secret key (the additive multiset hash of Bellare and Micciancio,
/// keyed so that nobody without the key can choose elements that cancel out). Two collections of
/// entries, one read in key order from a database and one derived in record order, can then be
/// compared without sorting either. Elements are hashed as `length of part 1 (4 bytes) ‖ part 1 ‖
/// part 2`, so a key and a value cannot trade bytes.
public final class MultisetDigest {
    private let hmac: HMACSHA256
    /// The sum, least significant word first.
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    public private(set) var count: UInt64 = 0

    public init(key: [UInt8]) throws { hmac = try HMACSHA256(key: key) }

    /// Adds the element `first ‖ second` (a key and its value).
    public func add(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws {
        var length = UInt32(first.count).bigEndian
        let digest = try withUnsafeBytes(of: &length) { try hmac.authenticate($0, first, second) }
        digest.bytes.withUnsafeBytes { bytes in
            // The digest as a little-endian 256-bit number: word i from bytes 8i…8i+7.
            let parts = (0..<4).map {
                UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))
            }
            var carry: UInt64 = 0
            (words.0, carry) = Self.add(words.0, parts[0], carry)
            (words.1, carry) = Self.add(words.1, parts[1], carry)
            (words.2, carry) = Self.add(words.2, parts[2], carry)
            (words.3, _) = Self.add(words.3, parts[3], carry)
        }
        count += 1
    }

    public func add(_ first: [UInt8], _ second: [UInt8]) throws {
        try first.withUnsafeBytes { a in try second.withUnsafeBytes { b in try add(a, b) } }
    }

    @inline(__always)
    private static func add(_ a: UInt64, _ b: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        let (partial, overflow1) = a.addingReportingOverflow(b)
        let (sum, overflow2) = partial.addingReportingOverflow(carry)
        return (sum, (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0))
    }

    /// Adds everything `other` holds (a digest of the same key, built on another thread).
    public func merge(_ other: MultisetDigest) {
        var carry: UInt64 = 0
        (words.0, carry) = Self.add(words.0, other.words.0, carry)
        (words.1, carry) = Self.add(words.1, other.words.1, carry)
        (words.2, carry) = Self.add(words.2, other.words.2, carry)
        (words.3, _) = Self.add(words.3, other.words.3, carry)
        count += other.count
    }

    /// Whether both hold the same multiset (with overwhelming probability) — and the same count.
    public func matches(_ other: MultisetDigest) -> Bool {
        count == other.count && words == other.words
    }
}
