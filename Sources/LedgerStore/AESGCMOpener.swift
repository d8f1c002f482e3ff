import CCrypto

/// Opens many AES-256-GCM boxes under a few keys: what a query does when it shows a person's
/// history. ``AESGCM/open(_:key:associatedData:)`` creates, keys and frees a cipher context and
/// allocates its arrays for every box, which cost about twice the decryption itself; an opener keeps
/// one `EVP_CIPHER_CTX` per key, keyed once, sets only the nonce per box, and writes the plaintext
/// into one reused buffer.
///
/// An opener exists only inside ``withOpener(_:)``, which frees every context when the closure
/// returns or throws; it belongs to one thread and must not escape the closure. Boxes and associated
/// data are read in place (bytes lent by an LMDB transaction, say), and the plaintext is lent to a
/// closure in turn, so that nothing is copied that the caller does not keep.
///
/// The corresponding C functions are `EVP_DecryptInit_ex2`, `EVP_DecryptUpdate`, `EVP_DecryptFinal_ex`
/// and `EVP_CIPHER_CTX_ctrl` with `EVP_CTRL_GCM_SET_TAG`.
public final class AESGCMOpener {
    /// A key added to an opener; valid for that opener only.
    public struct Key: Hashable, Sendable {
        let index: Int
    }

    private var contexts: [OpaquePointer] = []
    private var buffer: UnsafeMutableRawBufferPointer
    private var isClosed = false

    private init() {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 16)
    }

    /// Runs `body` with a new opener and frees its contexts (and wipes its plaintext buffer) when
    /// `body` returns or throws.
    public static func withOpener<T>(_ body: (AESGCMOpener) throws -> T) throws -> T {
        let opener = AESGCMOpener()
        defer { opener.close() }
        return try body(opener)
    }

    private func close() {
        for context in contexts { EVP_CIPHER_CTX_free(context) }
        contexts = []
        wipeAndFree(buffer)
        isClosed = true
    }

    /// Plaintext does not outlive the opener in freed memory. `OPENSSL_cleanse` is not optimised away
    /// as a store before `free` may be.
    private func wipeAndFree(_ memory: UnsafeMutableRawBufferPointer) {
        OPENSSL_cleanse(memory.baseAddress, memory.count)
        memory.deallocate()
    }

    /// Keys a context with `key` (32 bytes) for the boxes opened under it.
    public func add(key: [UInt8]) throws -> Key {
        try key.withUnsafeBytes { try add(key: $0) }
    }

    /// ``add(key:)`` for a key lent in place (the plaintext of a wrapped key this opener just opened,
    /// say, so that the key is never copied into an array that outlives the query).
    public func add(key: UnsafeRawBufferPointer) throws -> Key {
        precondition(!isClosed, "an AESGCMOpener was used after withOpener returned")
        precondition(key.count == AESGCM.keyByteCount, "AES-256 needs a 32-byte key")
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError(failed: "EVP_CIPHER_CTX_new") }
        // Owned by the opener from here on: close() frees it whatever happens next.
        contexts.append(context)
        try checkCrypto(
            EVP_DecryptInit_ex2(
                context, AESGCMAlgorithm.shared.cipher, key.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, nil),
            "EVP_DecryptInit_ex2(key)")
        return Key(index: contexts.count - 1)
    }

    /// Opens `wrapped` (nonce ‖ ciphertext ‖ tag of a 32-byte key) under `wrappingKey`, binding
    /// `associatedData`, and keys a context with what it holds. The unwrapped key goes from the
    /// plaintext buffer into OpenSSL's context and is wiped from the buffer at once. Throws
    /// ``OpenError/authenticationFailed`` when the box does not open or does not hold a key.
    public func add(
        unwrapping wrapped: UnsafeRawBufferPointer, under wrappingKey: Key, associatedData: UnsafeRawBufferPointer
    ) throws -> Key {
        defer { OPENSSL_cleanse(buffer.baseAddress, buffer.count) }
        return try open(wrapped, key: wrappingKey, associatedData: associatedData) { plain in
            guard plain.count == AESGCM.keyByteCount else { throw OpenError.authenticationFailed }
            return try add(key: plain)
        }
    }

    /// Opens `combined` (nonce ‖ ciphertext ‖ tag) under `key`, binding `associatedData`, and calls
    /// `body` with the plaintext, which is valid only inside `body` (the next open overwrites it).
    /// Throws ``OpenError/authenticationFailed`` when the tag does not verify (wrong key, wrong
    /// associated data, altered bytes) or the box is too short to hold a nonce and a tag.
    public func open<T>(
        _ combined: UnsafeRawBufferPointer, key: Key, associatedData: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> T
    ) throws -> T {
        precondition(!isClosed, "an AESGCMOpener was used after withOpener returned")
        let overhead = SealedBox.nonceByteCount + SealedBox.tagByteCount
        guard combined.count >= overhead, let base = combined.baseAddress else { throw OpenError.authenticationFailed }
        let ciphertextCount = combined.count - overhead
        guard ciphertextCount <= Int(Int32.max) - 16, associatedData.count <= Int(Int32.max) else {
            throw OpenError.authenticationFailed
        }
        let context = contexts[key.index]
        let nonce = base.assumingMemoryBound(to: UInt8.self)
        try checkCrypto(EVP_DecryptInit_ex2(context, nil, nil, nonce, nil), "EVP_DecryptInit_ex2(nonce)")
        var length: Int32 = 0
        if let aad = associatedData.baseAddress, associatedData.count > 0 {
            try checkCrypto(
                EVP_DecryptUpdate(
                    context, nil, &length, aad.assumingMemoryBound(to: UInt8.self), Int32(associatedData.count)),
                "EVP_DecryptUpdate(aad)")
        }
        if buffer.count < ciphertextCount + 16 {
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: ciphertextCount + 16, alignment: 16)
            wipeAndFree(buffer)
            buffer = larger
        }
        let out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0
        if ciphertextCount > 0 {
            try checkCrypto(
                EVP_DecryptUpdate(
                    context, out, &written, nonce + SealedBox.nonceByteCount, Int32(ciphertextCount)),
                "EVP_DecryptUpdate")
        }
        // The tag is copied out first: OpenSSL takes a mutable pointer, and lent bytes may sit in a
        // read-only map.
        var tag: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &tag) { tagBytes in
            tagBytes.copyMemory(
                from: UnsafeRawBufferPointer(
                    start: base + SealedBox.nonceByteCount + ciphertextCount, count: SealedBox.tagByteCount))
        }
        try withUnsafeMutableBytes(of: &tag) { tagBytes in
            try checkCrypto(
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(SealedBox.tagByteCount), tagBytes.baseAddress),
                "EVP_CTRL_GCM_SET_TAG")
        }
        var final: Int32 = 0
        guard EVP_DecryptFinal_ex(context, out + Int(written), &final) == 1 else {
            ERR_clear_error()
            throw OpenError.authenticationFailed
        }
        return try body(UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(written + final)))
    }

    /// ``open(_:key:associatedData:_:)`` for a ``SealedBox`` and arrays; the plaintext is copied out.
    public func open(_ box: SealedBox, key: Key, associatedData: [UInt8]) throws -> [UInt8] {
        guard box.nonce.count == SealedBox.nonceByteCount, box.tag.count == SealedBox.tagByteCount else {
            throw OpenError.authenticationFailed
        }
        let combined = box.combined
        return try combined.withUnsafeBytes { boxBytes in
            try associatedData.withUnsafeBytes { aad in try open(boxBytes, key: key, associatedData: aad) { Array($0) }
            }
        }
    }
}
