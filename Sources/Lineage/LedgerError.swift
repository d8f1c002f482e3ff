/// Why the ledger could not be created, opened or used. None of these carries personal data.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    case noLedger(directory: String)
    case ledgerExists(directory: String)
    case keyFileExists(path: String)
    case keyFileMissing(path: String)
    case keyFileInsecure(path: String, mode: UInt16)
    case keyFileMalformed(path: String, reason: String)
    /// The key file opened is not the one the ledger was created with.
    case wrongKeyFile(path: String)
    case unsupportedFormat(found: String)
    /// The records are readable, the projections are of an earlier format: `lineage rebuild` rewrites them.
    case projectionsNeedRebuild(found: String, current: String)
    case io(path: String, operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .noLedger(let directory):
            return "no ledger at \(directory) (run `lineage init` to create one)"
        case .ledgerExists(let directory):
            return "a ledger already exists at \(directory); it was left untouched"
        case .keyFileExists(let path):
            return "a key file already exists at \(path); init never overwrites keys"
        case .keyFileMissing(let path):
            return "the key file \(path) is missing; without it the ledger's keyed digests cannot be checked"
        case .keyFileInsecure(let path, let mode):
            return
                "the key file \(path) has mode \(String(mode, radix: 8)); it must be readable by its owner only (chmod 600)"
        case .keyFileMalformed(let path, let reason):
            return "the key file \(path) is malformed: \(reason)"
        case .wrongKeyFile(let path):
            return "the key file \(path) does not belong to this ledger"
        case .unsupportedFormat(let found):
            return "the ledger's format \(found) is not one this version reads"
        case .projectionsNeedRebuild(let found, let current):
            return
                "the ledger's format is \(found): its records are read as they are, but its projections must be rewritten as \(current) first; run `lineage rebuild` once"
        case .io(let path, let operation, let errno):
            return "\(operation) \(path): \(String(cString: strerror(errno)))"
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
