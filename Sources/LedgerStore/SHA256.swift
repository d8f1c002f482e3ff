import CCrypto

/// A SHA-256 digest: 32 bytes, shown as lowercase hex.
public struct Digest: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    public init?(hex: String) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}

/// The SHA-256 algorithm, fetched from OpenSSL's default provider once per process.
struct SHA256Algorithm: @unchecked Sendable {
    // @unchecked: a fetched EVP_MD is immutable and reference counted by OpenSSL, safe to share.
    let md: OpaquePointer
    static let shared: SHA256Algorithm = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else {
            fatalError("OpenSSL has no SHA256: \(CryptoError(failed: "EVP_MD_fetch"))")
        }
        return SHA256Algorithm(md: md)
    }()
}

/// A reusable SHA-256 context. One hasher belongs to one thread at a time; reusing it avoids an
/// allocation per digest on the hot paths (the Merkle tree hashes two small inputs per event).
/// The corresponding C functions are `EVP_DigestInit_ex2`, `EVP_DigestUpdate` and `EVP_DigestFinal_ex`.
public final class SHA256Hasher {
    private let context: OpaquePointer
    /// The shared algorithm, held here: reading the global at every digest went through its lazy
    /// initialisation check each time.
    private let md = SHA256Algorithm.shared.md

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// The digest of the concatenation of `parts`.
    public func digest(_ parts: UnsafeRawBufferPointer...) throws -> Digest {
        try checkCrypto(EVP_DigestInit_ex2(context, md, nil), "EVP_DigestInit_ex2")
        for part in parts where part.count > 0 {
            try checkCrypto(EVP_DigestUpdate(context, part.baseAddress, part.count), "EVP_DigestUpdate")
        }
        var out = [UInt8](repeating: 0, count: Digest.byteCount)
        var length: UInt32 = 0
        try checkCrypto(EVP_DigestFinal_ex(context, &out, &length), "EVP_DigestFinal_ex")
        return Digest(unchecked: out)
    }

    /// The digest of `first ‖ second`, without the array a variadic call allocates; the Merkle
    /// hashes call this once or twice per record.
    public func digest(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws -> Digest {
        try checkCrypto(EVP_DigestInit_ex2(context, md, nil), "EVP_DigestInit_ex2")
        try checkCrypto(EVP_DigestUpdate(context, first.baseAddress, first.count), "EVP_DigestUpdate")
        try checkCrypto(EVP_DigestUpdate(context, second.baseAddress, second.count), "EVP_DigestUpdate")
        var out = [UInt8](repeating: 0, count: Digest.byteCount)
        var length: UInt32 = 0
        try checkCrypto(EVP_DigestFinal_ex(context, &out, &length), "EVP_DigestFinal_ex")
        return Digest(unchecked: out)
    }

    /// The digest of `first ‖ second` written into `out` (at least 32 bytes), allocating nothing: for
    /// passes that hash every record and compare the result in place.
    public func digest(
        _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
    ) throws {
        precondition(out.count >= Digest.byteCount)
        try checkCrypto(EVP_DigestInit_ex2(context, md, nil), "EVP_DigestInit_ex2")
        try checkCrypto(EVP_DigestUpdate(context, first.baseAddress, first.count), "EVP_DigestUpdate")
        if second.count > 0 {
            try checkCrypto(EVP_DigestUpdate(context, second.baseAddress, second.count), "EVP_DigestUpdate")
        }
        var length: UInt32 = 0
        try checkCrypto(
            EVP_DigestFinal_ex(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length),
            "EVP_DigestFinal_ex")
    }

    /// The digest of `bytes`.
    public func digest(of bytes: [UInt8]) throws -> Digest {
        try bytes.withUnsafeBytes { try digest($0) }
    }

    /// SHA-256 of `bytes` with a fresh context; for code off the hot paths.
    public static func digest(of bytes: [UInt8]) throws -> Digest {
        try SHA256Hasher().digest(of: bytes)
    }
}

/// SHA-256 over input that arrives in pieces, so that a digest of a whole database never needs the
/// database in memory. `finish()` ends it; the stream cannot be reused.
public final class SHA256Stream {
    private let context: OpaquePointer

    public init() throws {
        guard let context = EVP_MD_CTX_new() else { throw CryptoError(failed: "EVP_MD_CTX_new") }
        self.context = context
        try checkCrypto(EVP_DigestInit_ex2(context, SHA256Algorithm.shared.md, nil), "EVP_DigestInit_ex2")
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { buffer in
            try checkCrypto(EVP_DigestUpdate(context, buffer.baseAddress, buffer.count), "EVP_DigestUpdate")
        }
    }

    public func finish() throws -> Digest {
        var out = [UInt8](repeating: 0, count: Digest.byteCount)
        var length: UInt32 = 0
        try checkCrypto(EVP_DigestFinal_ex(context, &out, &length), "EVP_DigestFinal_ex")
        return Digest(unchecked: out)
    }
}
