import CCrypto

/// HMAC-SHA-256 under one secret key. The key is set once; each ``authenticate(_:)`` works on a
/// copy of the keyed context, so the key schedule is not recomputed per message.
/// The corresponding C functions are `EVP_MAC_init`, `EVP_MAC_CTX_dup`, `EVP_MAC_update`, `EVP_MAC_final`.
public final class HMACSHA256 {
    private let keyed: OpaquePointer

    /// A keyed context. The key should be at least 32 random bytes.
    public init(key: [UInt8]) throws {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw CryptoError(failed: "EVP_MAC_fetch(HMAC)") }
        defer { EVP_MAC_free(mac) }
        guard let context = EVP_MAC_CTX_new(mac) else { throw CryptoError(failed: "EVP_MAC_CTX_new") }
        let initialised: Int32 = "digest".withCString { name in
            "SHA256".withCString { value in
                var params = [
                    OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: value), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return key.withUnsafeBufferPointer { keyBytes in
                    EVP_MAC_init(context, keyBytes.baseAddress, keyBytes.count, &params)
                }
            }
        }
        guard initialised == 1 else {
            let error = CryptoError(failed: "EVP_MAC_init")
            EVP_MAC_CTX_free(context)
            throw error
        }
        self.keyed = context
    }

    deinit { EVP_MAC_CTX_free(keyed) }

    /// The 32-byte HMAC of the concatenation of `parts`.
    public func authenticate(_ parts: UnsafeRawBufferPointer...) throws -> Digest {
        guard let context = EVP_MAC_CTX_dup(keyed) else { throw CryptoError(failed: "EVP_MAC_CTX_dup") }
        defer { EVP_MAC_CTX_free(context) }
        for part in parts where part.count > 0 {
            try checkCrypto(
                EVP_MAC_update(context, part.baseAddress!.assumingMemoryBound(to: UInt8.self), part.count),
                "EVP_MAC_update")
        }
        var out = [UInt8](repeating: 0, count: Digest.byteCount)
        var length = 0
        try checkCrypto(EVP_MAC_final(context, &out, &length, out.count), "EVP_MAC_final")
        return Digest(unchecked: out)
    }

    /// The HMAC of `bytes`.
    public func authenticate(_ bytes: [UInt8]) throws -> Digest {
        try bytes.withUnsafeBytes { try authenticate($0) }
    }
}
