import Testing

@testable import LedgerStore

@Suite("AESGCMSealer: seals that AESGCM.open opens, a fresh nonce each time")
struct AESGCMSealerTests {
    @Test("values sealed under two keys open under their own key and associated data only")
    func sealsOpen() throws {
        let keys = [try SecureRandom.bytes(32), try SecureRandom.bytes(32)]
        let sealed: [(key: Int, plaintext: [UInt8], aad: [UInt8], combined: [UInt8])] = try AESGCMSealer.withSealer {
            sealer in
            let added = try keys.map { try sealer.add(key: $0) }
            return try (0..<40).map { index in
                let plaintext = Array("value \(index) ".utf8) + [UInt8](repeating: UInt8(index), count: index)
                let aad = Array("aad \(index)".utf8)
                return (
                    index % 2, plaintext, aad, try sealer.seal(plaintext, key: added[index % 2], associatedData: aad)
                )
            }
        }
        for value in sealed {
            let box = try #require(SealedBox(combined: value.combined))
            #expect(try AESGCM.open(box, key: keys[value.key], associatedData: value.aad) == value.plaintext)
            #expect(throws: OpenError.authenticationFailed) {
                try AESGCM.open(box, key: keys[1 - value.key], associatedData: value.aad)
            }
            #expect(throws: OpenError.authenticationFailed) {
                try AESGCM.open(box, key: keys[value.key], associatedData: value.aad + [0])
            }
        }
        #expect(Set(sealed.map { Array($0.combined.prefix(SealedBox.nonceByteCount)) }).count == sealed.count)
        // An empty value and empty associated data are sealed too.
        let empty = try AESGCMSealer.withSealer { sealer in
            try sealer.seal([], key: try sealer.add(key: keys[0]), associatedData: [])
        }
        #expect(try AESGCM.open(#require(SealedBox(combined: empty)), key: keys[0], associatedData: []) == [])
    }

    @Test(
        "random keys are 32 bytes, all different across several refills of the sealer's pool, and key seals of their own"
    )
    func randomKeysAreFreshAndUsable() throws {
        let keys = try AESGCMSealer.withSealer { sealer in try (0..<300).map { _ in try sealer.randomKey() } }
        #expect(keys.allSatisfy { $0.count == AESGCM.keyByteCount })
        #expect(Set(keys).count == keys.count)
        // No key is all zeros (what a pool wiped and not refilled would hand out).
        #expect(!keys.contains([UInt8](repeating: 0, count: AESGCM.keyByteCount)))
        let combined = try AESGCMSealer.withSealer { sealer in
            try sealer.seal(Array("v".utf8), key: try sealer.add(key: keys[299]), associatedData: [1])
        }
        #expect(
            try AESGCM.open(#require(SealedBox(combined: combined)), key: keys[299], associatedData: [1])
                == Array("v".utf8))
    }
}
