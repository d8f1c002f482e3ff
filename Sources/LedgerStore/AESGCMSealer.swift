import CCrypto

/// Seals many values under a few keys: what a write transaction does with a batch's personal
/// values. ``AESGCM/seal(_:key:associatedData:nonces:)`` creates, keys and frees a cipher context
/// for every value; a sealer keeps one `EVP_CIPHER_CTX` per key, keyed once, and sets only the nonce
/// per value — a fresh random 96-bit nonce every time, from a ``NoncePool`` (never a counter: a
/// retried transaction or a crash would repeat it).
///
/// A sealer exists only inside ``withSealer(_:)``, which frees every context when the closure
/// returns or throws; it belongs to one thread and must not escape the closure. The twin of
/// ``AESGCMOpener``. The corresponding C functions are `EVP_EncryptInit_ex2`, `EVP_EncryptUpdate`,
/// `EVP_EncryptFinal_ex` and `EVP_CIPHER_CTX_ctrl` with `EVP_CTRL_GCM_GET_TAG`.
public final class AESGCMSealer {
    /// A key added to a sealer; valid for that sealer only.
    public struct Key: Hashable, Sendable {
        let index: Int
    }

    private var contexts: [OpaquePointer] = []
    private let nonces = NoncePool()
    /// Random bytes drawn from `RAND_bytes` a few kilobytes at a time, cut into fresh keys
    /// (``randomKey()``): a call per 32-byte key cost more than the key's use. Wiped when refilled
    /// and when the sealer closes.
    private var keyMaterial: UnsafeMutableRawBufferPointer?
    private var keyMaterialUsed = 0
    private static let keyMaterialBytes = AESGCM.keyByteCount * 64
    private var isClosed = false

    private init() {}

    /// Runs `body` with a new sealer and frees its contexts when `body` returns or throws.
    public static func withSealer<T>(_ body: (AESGCMSealer) throws -> T) throws -> T {
        let sealer = AESGCMSealer()
        defer { sealer.close() }
        return try body(sealer)
    }

    private func close() {
        for context in contexts { EVP_CIPHER_CTX_free(context) }
        contexts = []
        if let keyMaterial {
            OPENSSL_cleanse(keyMaterial.baseAddress, keyMaterial.count)
            keyMaterial.deallocate()
        }
        keyMaterial = nil
        isClosed = true
    }

    /// A fresh random 32-byte key (a new data key), from OpenSSL's DRBG.
    public func randomKey() throws -> [UInt8] {
        precondition(!isClosed, "an AESGCMSealer was used after withSealer returned")
        let count = AESGCM.keyByteCount
        if keyMaterial == nil {
            keyMaterial = .allocate(byteCount: Self.keyMaterialBytes, alignment: 16)
            keyMaterialUsed = Self.keyMaterialBytes
        }
        let pool = keyMaterial!
        if keyMaterialUsed + count > pool.count {
            try checkCrypto(
                RAND_bytes(pool.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(pool.count)), "RAND_bytes")
            keyMaterialUsed = 0
        }
        let slice = UnsafeMutableRawBufferPointer(rebasing: pool[keyMaterialUsed..<(keyMaterialUsed + count)])
        let key = Array(UnsafeRawBufferPointer(slice))
        // What was handed out does not stay behind in the pool.
        OPENSSL_cleanse(slice.baseAddress, count)
        keyMaterialUsed += count
        return key
    }

    /// Keys a context with `key` (32 bytes) for the values sealed under it.
    public func add(key: [UInt8]) throws -> Key {
        precondition(!isClosed, "an AESGCMSealer was used after withSealer returned")
        precondition(key.count == AESGCM.keyByteCount, "AES-256 needs a 32-byte key")
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError(failed: "EVP_CIPHER_CTX_new") }
        // Owned by the sealer from here on: close() frees it whatever happens next.
        contexts.append(context)
        try checkCrypto(
            EVP_EncryptInit_ex2(context, AESGCMAlgorithm.shared.cipher, key, nil, nil), "EVP_EncryptInit_ex2(key)")
        return Key(index: contexts.count - 1)
    }

    /// Seals `plaintext` under `key` with a fresh random nonce, binding `associatedData`; returns
    /// nonce ‖ ciphertext ‖ tag (``SealedBox/combined``'s layout).
    public func seal(
        _ plaintext: UnsafeRawBufferPointer, key: Key, associatedData: UnsafeRawBufferPointer
    ) throws -> [UInt8] {
        precondition(!isClosed, "an AESGCMSealer was used after withSealer returned")
        guard plaintext.count <= Int(Int32.max) - 16, associatedData.count <= Int(Int32.max) else {
            throw CryptoError(failed: "AES-GCM input too large")
        }
        let context = contexts[key.index]
        let nonce = try nonces.next()
        let overhead = SealedBox.nonceByteCount + SealedBox.tagByteCount
        var combined = [UInt8](repeating: 0, count: plaintext.count + overhead)
        try combined.withUnsafeMutableBytes { out in
            let base = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            nonce.withUnsafeBytes {
                out.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: SealedBox.nonceByteCount)
            }
            try checkCrypto(EVP_EncryptInit_ex2(context, nil, nil, base, nil), "EVP_EncryptInit_ex2(nonce)")
            var length: Int32 = 0
            if let aad = associatedData.baseAddress, associatedData.count > 0 {
                try checkCrypto(
                    EVP_EncryptUpdate(
                        context, nil, &length, aad.assumingMemoryBound(to: UInt8.self), Int32(associatedData.count)),
                    "EVP_EncryptUpdate(aad)")
            }
            let ciphertext = base + SealedBox.nonceByteCount
            var written: Int32 = 0
            if let input = plaintext.baseAddress, plaintext.count > 0 {
                try checkCrypto(
                    EVP_EncryptUpdate(
                        context, ciphertext, &written, input.assumingMemoryBound(to: UInt8.self), Int32(plaintext.count)
                    ),
                    "EVP_EncryptUpdate")
            }
            // GCM is a stream mode: Final writes nothing, but it completes the tag.
            var final: Int32 = 0
            try checkCrypto(EVP_EncryptFinal_ex(context, ciphertext + Int(written), &final), "EVP_EncryptFinal_ex")
            try checkCrypto(
                EVP_CIPHER_CTX_ctrl(
                    context, EVP_CTRL_GCM_GET_TAG, Int32(SealedBox.tagByteCount), ciphertext + plaintext.count),
                "EVP_CTRL_GCM_GET_TAG")
        }
        return combined
    }

    public func seal(_ plaintext: [UInt8], key: Key, associatedData: [UInt8]) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { p in
            try associatedData.withUnsafeBytes { try seal(p, key: key, associatedData: $0) }
        }
    }
}
