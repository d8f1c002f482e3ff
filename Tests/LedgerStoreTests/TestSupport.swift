import Foundation

@testable import LedgerStore

/// Runs `body` with a fresh, empty directory of its own under the system's temporary directory,
/// and removes the directory (and whatever LMDB left in it) afterwards. Everything `body` opens in
/// it must be released by the time `body` returns.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("ledgerstore-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// Opens an environment and the log in `path`. The caller keeps the log (which keeps its
/// environment); dropping the log closes both.
func openLog(_ path: String, options: EnvironmentOptions = EnvironmentOptions()) throws -> AppendOnlyLog {
    try AppendOnlyLog(environment: Environment(path: path, options: options))
}

/// Appends `records` in one write transaction and returns the tree head the appender reports.
@discardableResult
func append(_ records: [[UInt8]], to log: AppendOnlyLog) throws -> TreeHead {
    try log.environment.write { txn throws in
        let appender = try log.appender(in: txn)
        for record in records { try appender.append(record) }
        return try appender.treeHead()
    }
}

/// The bytes of a string, for readable record contents.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A decoded hex string; the test data in this folder is written by hand, so a typo is a crash.
func hex(_ text: String) -> [UInt8] {
    guard let decoded = Hex.decode(text) else { preconditionFailure("bad hex in test data: \(text)") }
    return decoded
}

/// A digest from hex test data.
func digest(_ text: String) -> Digest {
    guard let decoded = Digest(hex: text) else { preconditionFailure("bad digest in test data: \(text)") }
    return decoded
}

/// ⌈log₂ n⌉ for n ≥ 1.
func ceilLog2(_ n: UInt64) -> Int {
    n <= 1 ? 0 : 64 - (n - 1).leadingZeroBitCount
}

/// A small deterministic generator (SplitMix64), so that "random" picks are the same every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The raw bytes of an environment's `data.mdb`, for tests that damage the file. Only call these
/// while no environment is open on the file in this process: opening and closing a descriptor on
/// it would drop LMDB's POSIX locks.
enum DataFile {
    static func url(_ directory: String) -> URL {
        URL(fileURLWithPath: directory).appendingPathComponent("data.mdb")
    }

    static func read(_ directory: String) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: url(directory))
        defer { try? handle.close() }
        return Array(try handle.readToEnd() ?? Data())
    }

    /// Writes `bytes` over the file from `offset` on, in place.
    static func overwrite(_ directory: String, at offset: Int, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forUpdating: url(directory))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(bytes))
        try handle.synchronize()
    }

    /// Every offset at which `needle` occurs in `haystack`.
    static func offsets(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
        var found: [Int] = []
        let first = needle[0]
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first && Array(haystack[index..<index + needle.count]) == needle {
                found.append(index)
            }
            index += 1
        }
        return found
    }

    static func uint64LE(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
        return value
    }

    static func uint16LE(_ bytes: [UInt8], at offset: Int) -> Int {
        Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
    }
}
