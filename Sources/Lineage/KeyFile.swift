import Foundation

/// The ledger's secret keys. They live outside the immutable record, in a file readable by its owner
/// only: whoever holds them can test guesses against the keyed digests.
public struct LedgerKeys: Sendable {
    /// The HMAC-SHA-256 key of the key check and of `verify`'s derived-entries digests (it kept its
    /// name from when the idempotency index held content digests).
    public let idempotencyKey: [UInt8]
    /// The AES-256-GCM key that wraps every data key (the key-encryption key).
    public let keyEncryptionKey: [UInt8]
    /// The HMAC-SHA-256 key of the identity-code index.
    public let identityIndexKey: [UInt8]

    static let format = "lineage-keys/1"
    static let members = ["idempotencyKey", "keyEncryptionKey", "identityIndexKey"]

    public static func generate() throws -> LedgerKeys {
        LedgerKeys(
            idempotencyKey: try SecureRandom.bytes(32), keyEncryptionKey: try SecureRandom.bytes(32),
            identityIndexKey: try SecureRandom.bytes(32))
    }

    var byMember: [(String, [UInt8])] {
        [
            ("idempotencyKey", idempotencyKey), ("keyEncryptionKey", keyEncryptionKey),
            ("identityIndexKey", identityIndexKey),
        ]
    }
}

/// Reading and writing the key file: a JSON object `{"format":"lineage-keys/1","idempotencyKey":"<base64>",
/// "keyEncryptionKey":"<base64>","identityIndexKey":"<base64>"}` (32 bytes each) with mode 0600.
public enum KeyFile {
    /// Creates the key file; refuses to touch one that exists.
    public static func create(at path: String, keys: LedgerKeys) throws {
        let object = JSONObject(
            [("format", .string(LedgerKeys.format))]
                + keys.byMember.map { ($0.0, JSONValue.string(Data($0.1).base64EncodedString())) })!
        var bytes = CanonicalJSON.encode(.object(object))
        bytes.append(0x0a)
        // O_EXCL: never overwrite keys; the mode is set at creation so the file is never readable by others.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw LedgerError.keyFileExists(path: path) }
            throw LedgerError.io(path: path, operation: "create", errno: errno)
        }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw LedgerError.io(path: path, operation: "write", errno: errno)
        }
    }

    /// Loads the key file, refusing one that group or others can read or write.
    public static func load(from path: String) throws -> LedgerKeys {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw LedgerError.keyFileMissing(path: path) }
            throw LedgerError.io(path: path, operation: "stat", errno: errno)
        }
        let mode = UInt16(info.st_mode & 0o777)
        guard mode & 0o077 == 0 else { throw LedgerError.keyFileInsecure(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgerError.io(path: path, operation: "read", errno: errno)
        }
        guard case .object(let object) = try? JSONParser.parse([UInt8](data)) else {
            throw LedgerError.keyFileMalformed(path: path, reason: "not a JSON object")
        }
        guard object["format"] == .string(LedgerKeys.format) else {
            throw LedgerError.keyFileMalformed(path: path, reason: "format is not \(LedgerKeys.format)")
        }
        var decoded: [String: [UInt8]] = [:]
        for member in LedgerKeys.members {
            guard case .string(let encoded) = object[member], let key = Data(base64Encoded: encoded), key.count == 32
            else { throw LedgerError.keyFileMalformed(path: path, reason: "\(member) is not 32 bytes of base64") }
            decoded[member] = [UInt8](key)
        }
        return LedgerKeys(
            idempotencyKey: decoded["idempotencyKey"]!, keyEncryptionKey: decoded["keyEncryptionKey"]!,
            identityIndexKey: decoded["identityIndexKey"]!)
    }
}
