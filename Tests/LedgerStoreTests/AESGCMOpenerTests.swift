import Testing

@testable import LedgerStore

@Suite("AESGCMOpener: one keyed context per key, opening what AESGCM.open opens")
struct AESGCMOpenerTests {
    static let keyA = [UInt8](repeating: 0x11, count: AESGCM.keyByteCount)
    static let keyB = (0..<AESGCM.keyByteCount).map { UInt8($0 * 7 & 0xff) }

    /// Opens `box` with a fresh opener, copying the plaintext out.
    func open(_ box: SealedBox, key: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        try AESGCMOpener.withOpener { opener in
            try opener.open(box, key: try opener.add(key: key), associatedData: associatedData)
        }
    }

    @Test("the GCM specification's test case 16 (AES-256, 60-byte plaintext, 20-byte associated data)")
    func knownAnswer() throws {
        let box = SealedBox(
            nonce: hex("cafebabefacedbaddecaf888"),
            ciphertext: hex(
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            ),
            tag: hex("76fc6ece0f4e1768cddf8853bb2d551b"))
        let key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let plaintext = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        )
        #expect(try open(box, key: key, associatedData: aad) == plaintext)
        #expect(try AESGCM.open(box, key: key, associatedData: aad) == plaintext)
    }

    @Test("boxes sealed by AESGCM.seal open to what AESGCM.open gives, under several keys in any order")
    func agreesWithOpen() throws {
        var cases: [(box: SealedBox, key: [UInt8], aad: [UInt8], plaintext: [UInt8])] = []
        for length in [0, 1, 15, 16, 17, 40, 255, 256, 1_000, 5_000] {
            for (index, key) in [Self.keyA, Self.keyB].enumerated() {
                let plaintext = try SecureRandom.bytes(length)
                let aad = index == 0 ? [] : try SecureRandom.bytes(length % 70 + 1)
                cases.append((try AESGCM.seal(plaintext, key: key, associatedData: aad), key, aad, plaintext))
            }
        }
        try AESGCMOpener.withOpener { opener in
            let keys = [try opener.add(key: Self.keyA), try opener.add(key: Self.keyB)]
            for round in 0..<2 {
                for sealed in round == 0 ? cases : cases.reversed() {
                    let key = keys[sealed.key == Self.keyA ? 0 : 1]
                    let opened = try opener.open(sealed.box, key: key, associatedData: sealed.aad)
                    #expect(opened == sealed.plaintext)
                    #expect(opened == (try AESGCM.open(sealed.box, key: sealed.key, associatedData: sealed.aad)))
                    // The in-place form lends the same bytes.
                    let combined = sealed.box.combined
                    let lent = try combined.withUnsafeBytes { box in
                        try sealed.aad.withUnsafeBytes { aad in
                            try opener.open(box, key: key, associatedData: aad) { Array($0) }
                        }
                    }
                    #expect(lent == sealed.plaintext)
                }
            }
        }
    }

    @Test("a wrong tag, wrong associated data, a wrong key or an altered byte is authenticationFailed")
    func failuresAreAuthenticationFailures() throws {
        let plaintext = bytes("Vanha katu 1")
        let aad = bytes("lineage value v1 bound to one item")
        let box = try AESGCM.seal(plaintext, key: Self.keyA, associatedData: aad)
        var wrongTag = box.tag
        wrongTag[0] ^= 0x01
        var alteredCiphertext = box.ciphertext
        alteredCiphertext[3] ^= 0x80
        var alteredNonce = box.nonce
        alteredNonce[11] ^= 0x01
        var otherAAD = aad
        otherAAD[aad.count - 1] ^= 0x01
        try AESGCMOpener.withOpener { opener in
            let a = try opener.add(key: Self.keyA)
            let b = try opener.add(key: Self.keyB)
            let failures: [(SealedBox, AESGCMOpener.Key, [UInt8])] = [
                (SealedBox(nonce: box.nonce, ciphertext: box.ciphertext, tag: wrongTag), a, aad),
                (SealedBox(nonce: box.nonce, ciphertext: alteredCiphertext, tag: box.tag), a, aad),
                (SealedBox(nonce: alteredNonce, ciphertext: box.ciphertext, tag: box.tag), a, aad),
                (box, a, otherAAD),
                (box, a, []),
                (box, a, aad + [0]),
                (box, b, aad),
            ]
            for (failing, key, associatedData) in failures {
                #expect(throws: OpenError.authenticationFailed) {
                    try opener.open(failing, key: key, associatedData: associatedData)
                }
                #expect(throws: OpenError.authenticationFailed) {
                    try AESGCM.open(
                        failing, key: key == a ? Self.keyA : Self.keyB, associatedData: associatedData)
                }
                // A failure leaves the context usable: the next box under the same key opens.
                #expect(try opener.open(box, key: a, associatedData: aad) == plaintext)
            }
            // Too short to hold a nonce and a tag, or not split as one.
            for length in [0, 1, 12, 27] {
                let short = [UInt8](repeating: 0, count: length)
                #expect(throws: OpenError.authenticationFailed) {
                    try short.withUnsafeBytes { shortBytes in
                        try opener.open(
                            shortBytes, key: a, associatedData: UnsafeRawBufferPointer(start: nil, count: 0)
                        ) { _ in () }
                    }
                }
            }
            #expect(throws: OpenError.authenticationFailed) {
                try opener.open(
                    SealedBox(nonce: Array(box.nonce.prefix(8)), ciphertext: box.ciphertext, tag: box.tag), key: a,
                    associatedData: aad)
            }
        }
    }

    @Test("an error thrown from the body passes through, and the next open still works")
    func bodyErrorsPassThrough() throws {
        struct Stop: Error {}
        let box = try AESGCM.seal(bytes("x"), key: Self.keyA, associatedData: [])
        try AESGCMOpener.withOpener { opener in
            let key = try opener.add(key: Self.keyA)
            let combined = box.combined
            #expect(throws: Stop.self) {
                try combined.withUnsafeBytes { boxBytes in
                    try opener.open(boxBytes, key: key, associatedData: UnsafeRawBufferPointer(start: nil, count: 0)) {
                        _ in throw Stop()
                    }
                }
            }
            #expect(try opener.open(box, key: key, associatedData: []) == bytes("x"))
        }
    }

    @Test("a wrapped key is unwrapped into a context of its own; a wrong wrap or a box of no key is refused")
    func unwrappedKeys() throws {
        let wrappingKey = try SecureRandom.bytes(32)
        let dataKey = try SecureRandom.bytes(32)
        let label = bytes("wrap")
        let wrapped = try AESGCM.seal(dataKey, key: wrappingKey, associatedData: label).combined
        let value = try AESGCM.seal(bytes("a value"), key: dataKey, associatedData: []).combined
        let notAKey = try AESGCM.seal(bytes("short"), key: wrappingKey, associatedData: label).combined
        try AESGCMOpener.withOpener { opener in
            let outer = try opener.add(key: wrappingKey)
            let inner = try wrapped.withUnsafeBytes { box in
                try label.withUnsafeBytes { try opener.add(unwrapping: box, under: outer, associatedData: $0) }
            }
            #expect(try opener.open(SealedBox(combined: value)!, key: inner, associatedData: []) == bytes("a value"))
            #expect(throws: OpenError.authenticationFailed) {
                try wrapped.withUnsafeBytes { box in
                    try bytes("other").withUnsafeBytes {
                        try opener.add(unwrapping: box, under: outer, associatedData: $0)
                    }
                }
            }
            #expect(throws: OpenError.authenticationFailed) {
                try notAKey.withUnsafeBytes { box in
                    try label.withUnsafeBytes { try opener.add(unwrapping: box, under: outer, associatedData: $0) }
                }
            }
        }
    }
}
