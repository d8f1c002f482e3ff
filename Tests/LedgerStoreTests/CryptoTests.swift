import Foundation
import Testing

@testable import LedgerStore

@Suite("SHA-256 known answers (FIPS 180-2 examples)")
struct SHA256Tests {
    @Test("SHA-256 of \"abc\", of nothing, and of the two-block example")
    func knownAnswers() throws {
        #expect(
            try SHA256Hasher.digest(of: bytes("abc")).hex
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            try SHA256Hasher.digest(of: []).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            try SHA256Hasher.digest(of: bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hex
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("a reused hasher and a digest over several parts give the digest of the concatenation")
    func partsAndReuse() throws {
        let hasher = SHA256Hasher()
        let whole = try hasher.digest(of: bytes("abc"))
        let parts = try bytes("a").withUnsafeBytes { a in
            try [UInt8]().withUnsafeBytes { empty in
                try bytes("bc").withUnsafeBytes { bc in try hasher.digest(a, empty, bc) }
            }
        }
        #expect(parts == whole)
        #expect(try hasher.digest(of: bytes("abd")) != whole)
        #expect(try hasher.digest(of: bytes("abc")) == whole)
        #expect(whole.bytes.count == Digest.byteCount)
        #expect(whole.description == whole.hex)
    }

    @Test("Merkle leaf and node hashes are SHA-256 with the 0x00 and 0x01 prefixes")
    func merklePrefixes() throws {
        let hasher = SHA256Hasher()
        let left = try MerkleHashing.leafHash(bytes("l"), using: hasher)
        let right = try MerkleHashing.leafHash(bytes("r"), using: hasher)
        #expect(left == (try hasher.digest(of: [0x00] + bytes("l"))))
        #expect(
            try MerkleHashing.nodeHash(left, right, using: hasher)
                == hasher.digest(of: [0x01] + left.bytes + right.bytes))
        #expect(
            try MerkleHashing.nodeHash(left, right, using: hasher) != MerkleHashing.nodeHash(right, left, using: hasher)
        )
    }

    @Test("a stream fed in pieces gives the digest of the concatenation, the FIPS answer for \"abc\"")
    func streamedDigest() throws {
        let stream = try SHA256Stream()
        for piece in ["a", "", "bc"] { try stream.update(Array(piece.utf8)) }
        #expect(
            try stream.finish().hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

@Suite("HMAC-SHA-256 known answers (RFC 4231)")
struct HMACTests {
    @Test("test case 1: key 0x0b × 20, \"Hi There\"")
    func testCase1() throws {
        let mac = try HMACSHA256(key: [UInt8](repeating: 0x0b, count: 20))
        #expect(
            try mac.authenticate(bytes("Hi There")).hex
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test("test case 2: key \"Jefe\", \"what do ya want for nothing?\"")
    func testCase2() throws {
        let mac = try HMACSHA256(key: bytes("Jefe"))
        #expect(
            try mac.authenticate(bytes("what do ya want for nothing?")).hex
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("test case 6: a 131-byte key, longer than the block")
    func testCase6() throws {
        let mac = try HMACSHA256(key: [UInt8](repeating: 0xaa, count: 131))
        #expect(
            try mac.authenticate(bytes("Test Using Larger Than Block-Size Key - Hash Key First")).hex
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("one keyed context serves many messages, and parts concatenate")
    func reuseAndParts() throws {
        let mac = try HMACSHA256(key: bytes("Jefe"))
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        #expect(try mac.authenticate(bytes("something else")).hex != expected)
        let split = try bytes("what do ya ").withUnsafeBytes { a in
            try bytes("want for nothing?").withUnsafeBytes { b in try mac.authenticate(a, b) }
        }
        #expect(split.hex == expected)
        #expect(try mac.authenticate(bytes("what do ya want for nothing?")).hex == expected)
        // Another key gives another MAC of the same message.
        #expect(try HMACSHA256(key: bytes("Jeff")).authenticate(bytes("what do ya want for nothing?")).hex != expected)
    }
}

@Suite("SecureRandom")
struct SecureRandomTests {
    @Test("gives the length asked for, and distinct outputs")
    func lengthsAndDistinctness() throws {
        #expect(try SecureRandom.bytes(0).isEmpty)
        #expect(try SecureRandom.bytes(1).count == 1)
        #expect(try SecureRandom.bytes(1000).count == 1000)
        let draws = try (0..<64).map { _ in try SecureRandom.bytes(32) }
        #expect(draws.allSatisfy { $0.count == 32 })
        #expect(Set(draws).count == draws.count)
        #expect(!draws.contains([UInt8](repeating: 0, count: 32)))
        // 64 KiB of output uses every byte value (a stuck or short generator would not).
        #expect(Set(try SecureRandom.bytes(65_536)).count == 256)
    }
}

@Suite("Hex and BigEndian encodings")
struct EncodingTests {
    @Test("Hex encodes lowercase, decodes either case, and round-trips")
    func hexRoundTrip() throws {
        #expect(Hex.encode([0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]) == "00017f80abff")
        #expect(Hex.decode("00017F80ABff") == [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff])
        #expect(Hex.encode([]) == "")
        #expect(Hex.decode("") == [])
        let all = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(all)) == all)
        for _ in 0..<20 {
            let random = try SecureRandom.bytes(Int.random(in: 0...100))
            #expect(Hex.decode(Hex.encode(random)) == random)
        }
        for bad in ["0", "abc", "0g", "g0", " 00", "00 ", "-1", "é0"] {
            #expect(Hex.decode(bad) == nil, "\(bad)")
        }
        #expect(Digest(hex: String(repeating: "ab", count: 32))?.bytes == [UInt8](repeating: 0xab, count: 32))
        #expect(Digest(hex: String(repeating: "ab", count: 31)) == nil)
        #expect(Digest(bytes: [UInt8](repeating: 0, count: 33)) == nil)
    }

    @Test("BigEndian writes most significant byte first and reads it back")
    func bigEndian() {
        #expect(BigEndian.bytes(UInt64(0x0102_0304_0506_0708)) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(BigEndian.bytes(UInt32(0x0a0b_0c0d)) == [10, 11, 12, 13])
        #expect(BigEndian.uint64([1, 2, 3, 4, 5, 6, 7, 8]) == 0x0102_0304_0506_0708)
        #expect(BigEndian.uint64([9, 1, 2, 3, 4, 5, 6, 7, 8], at: 1) == 0x0102_0304_0506_0708)
        #expect(BigEndian.uint64([1, 2, 3, 4, 5, 6, 7]) == nil)
        #expect(BigEndian.uint32([0, 0, 1, 0]) == 256)
        #expect(BigEndian.uint32([0, 0, 1]) == nil)
        var rng = SplitMix64(seed: 7)
        let values = (0..<200).map { _ in rng.next() >> UInt64.random(in: 0..<64, using: &rng) } + [0, 1, .max]
        for value in values { #expect(BigEndian.uint64(BigEndian.bytes(value)) == value) }
        // Byte order is numeric order: what LMDB's default key comparison relies on.
        let sortedByBytes = values.sorted { BigEndian.bytes($0).lexicographicallyPrecedes(BigEndian.bytes($1)) }
        #expect(sortedByBytes == values.sorted())
    }
}

@Suite("Nonces drawn from a pool")
struct NoncePoolTests {
    @Test("a pool hands out distinct 12-byte nonces across refills, and boxes sealed with them open")
    func distinctNoncesAcrossRefills() throws {
        let pool = NoncePool()
        var seen = Set<[UInt8]>()
        for _ in 0..<1_000 {
            let nonce = try pool.next()
            #expect(nonce.count == SealedBox.nonceByteCount)
            seen.insert(nonce)
        }
        #expect(seen.count == 1_000)
        let key = [UInt8](repeating: 7, count: AESGCM.keyByteCount)
        let box = try AESGCM.seal(Array("value".utf8), key: key, associatedData: [1], nonces: pool)
        #expect(try AESGCM.open(box, key: key, associatedData: [1]) == Array("value".utf8))
    }
}
