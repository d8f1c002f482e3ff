import CCrypto

/// A value sealed with AES-256-GCM: a random 96-bit nonce, the ciphertext, the 128-bit tag.
public struct SealedBox: Equatable, Sendable {
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    public let nonce: [UInt8]
    public let ciphertext: [UInt8]
    public let tag: [UInt8]

    public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.tag = tag
    }

    /// nonce ‖ ciphertext ‖ tag.
    public var combined: [UInt8] { nonce + ciphertext + tag }

    /// Splits nonce ‖ ciphertext ‖ tag; `nil` when too short to hold a nonce and a tag.
    public init?(combined bytes: [UInt8]) {
        guard bytes.count >= Self.nonceByteCount + Self.tagByteCount else { return nil }
        nonce = Array(bytes.prefix(Self.nonceByteCount))
        tag = Array(bytes.suffix(Self.tagByteCount))
        ciphertext = Array(bytes[Self.nonceByteCount..<(bytes.count - Self.tagByteCount)])
    }
}

/// Why a sealed value could not be opened.
public enum OpenError: Error, Equatable, Sendable {
    /// The tag did not verify: wrong key, wrong associated data, or altered bytes.
    case authenticationFailed
}

/// AES-256-GCM, fetched from OpenSSL's default provider once per process: passing
/// `EVP_aes_256_gcm()` makes OpenSSL 3 look the implementation up again on every init, which cost
/// more than sealing a short value.
struct AESGCMAlgorithm: @unchecked Sendable {
    // @unchecked: a fetched EVP_CIPHER is immutable and reference counted by OpenSSL, safe to share.
    let cipher: OpaquePointer
    static let shared: AESGCMAlgorithm = {
        guard let cipher = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) else {
            fatalError("OpenSSL has no AES-256-GCM: \(CryptoError(failed: "EVP_CIPHER_fetch"))")
        }
        return AESGCMAlgorithm(cipher: cipher)
    }()
}

/// Random nonces drawn from OpenSSL's DRBG a few hundred at a time rather than one `RAND_bytes` call
/// (and its locking) per seal. Every nonce is still 96 fresh random bits. One pool belongs to one
/// thread.
public final class NoncePool {
    private var buffer: [UInt8] = []
    private var offset = 0
    private static let refill = SealedBox.nonceByteCount * 256

    public init() {}

    public func next() throws -> [UInt8] {
        if offset + SealedBox.nonceByteCount > buffer.count {
            buffer = try SecureRandom.bytes(Self.refill)
            offset = 0
        }
        defer { offset += SealedBox.nonceByteCount }
        return Array(buffer[offset..<(offset + SealedBox.nonceByteCount)])
    }
}

/// AES-256-GCM with a fresh random nonce for every seal (a nonce derived from a counter would repeat
/// after a retried transaction or a crash, and a repeated nonce under one key breaks GCM).
/// The corresponding C functions are `EVP_EncryptInit_ex2`, `EVP_EncryptUpdate`, `EVP_EncryptFinal_ex`
/// and their `Decrypt` twins with `EVP_CTRL_GCM_GET_TAG` / `EVP_CTRL_GCM_SET_TAG`.
public enum AESGCM {
    public static let keyByteCount = 32

    /// Seals `plaintext` under `key`, binding `associatedData` (which is authenticated, not stored).
    /// The nonce comes from `nonces` when given (a hot path's pool), else from its own `RAND_bytes`.
    public static func seal(
        _ plaintext: [UInt8], key: [UInt8], associatedData: [UInt8], nonces: NoncePool? = nil
    ) throws -> SealedBox {
        precondition(key.count == keyByteCount, "AES-256 needs a 32-byte key")
        let nonce = try nonces?.next() ?? SecureRandom.bytes(SealedBox.nonceByteCount)
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError(failed: "EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        try checkCrypto(
            EVP_EncryptInit_ex2(context, AESGCMAlgorithm.shared.cipher, key, nonce, nil), "EVP_EncryptInit_ex2")
        var length: Int32 = 0
        if !associatedData.isEmpty {
            try checkCrypto(
                EVP_EncryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)),
                "EVP_EncryptUpdate(aad)")
        }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var written: Int32 = 0
        if !plaintext.isEmpty {
            try checkCrypto(
                EVP_EncryptUpdate(context, &ciphertext, &written, plaintext, Int32(plaintext.count)),
                "EVP_EncryptUpdate")
        }
        var final: Int32 = 0
        try ciphertext.withUnsafeMutableBufferPointer { buffer in
            try checkCrypto(
                EVP_EncryptFinal_ex(context, buffer.baseAddress! + Int(written), &final), "EVP_EncryptFinal_ex")
        }
        var tag = [UInt8](repeating: 0, count: SealedBox.tagByteCount)
        try checkCrypto(
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tag.count), &tag), "EVP_CTRL_GCM_GET_TAG")
        return SealedBox(nonce: nonce, ciphertext: Array(ciphertext.prefix(Int(written + final))), tag: tag)
    }

    /// Opens a sealed box; throws ``OpenError/authenticationFailed`` when the tag does not verify.
    public static func open(_ box: SealedBox, key: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        precondition(key.count == keyByteCount, "AES-256 needs a 32-byte key")
        guard box.nonce.count == SealedBox.nonceByteCount, box.tag.count == SealedBox.tagByteCount else {
            throw OpenError.authenticationFailed
        }
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError(failed: "EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        try checkCrypto(
            EVP_DecryptInit_ex2(context, AESGCMAlgorithm.shared.cipher, key, box.nonce, nil), "EVP_DecryptInit_ex2")
        var length: Int32 = 0
        if !associatedData.isEmpty {
            try checkCrypto(
                EVP_DecryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)),
                "EVP_DecryptUpdate(aad)")
        }
        var plaintext = [UInt8](repeating: 0, count: box.ciphertext.count + 16)
        var written: Int32 = 0
        if !box.ciphertext.isEmpty {
            try checkCrypto(
                EVP_DecryptUpdate(context, &plaintext, &written, box.ciphertext, Int32(box.ciphertext.count)),
                "EVP_DecryptUpdate")
        }
        var tag = box.tag
        try checkCrypto(
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tag.count), &tag), "EVP_CTRL_GCM_SET_TAG")
        var final: Int32 = 0
        let verified = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress! + Int(written), &final)
        }
        guard verified == 1 else {
            ERR_clear_error()
            throw OpenError.authenticationFailed
        }
        return Array(plaintext.prefix(Int(written + final)))
    }
}
