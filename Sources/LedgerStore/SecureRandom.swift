import CCrypto

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// `count` random bytes. The corresponding C function is `RAND_bytes`.
    public static func bytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try checkCrypto(RAND_bytes(&out, Int32(count)), "RAND_bytes")
        return out
    }
}
