import Foundation
import Testing

/// The `lineage` executable under test: `$LINEAGE_BIN`, else the `lineage` next to the test bundle
/// (SwiftPM puts both in `.build/<configuration>/`), found by walking up from the test executable.
enum LineageBinary {
    static let path: String = locate()

    private static func locate() -> String {
        if let explicit = ProcessInfo.processInfo.environment["LINEAGE_BIN"], !explicit.isEmpty { return explicit }
        var starts = [URL(fileURLWithPath: CommandLine.arguments[0])]
        if let executable = Bundle.main.executableURL { starts.append(executable) }
        for start in starts {
            for origin in [start, start.resolvingSymlinksInPath()] {
                var directory = origin.deletingLastPathComponent()
                for _ in 0..<6 {
                    let candidate = directory.appendingPathComponent("lineage").path
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory),
                        !isDirectory.boolValue,
                        FileManager.default.isExecutableFile(atPath: candidate)
                    {
                        return candidate
                    }
                    directory.deleteLastPathComponent()
                }
            }
        }
        return "lineage-binary-not-found-set-LINEAGE_BIN"
    }
}

/// What one finished `lineage` process left behind.
struct CommandResult {
    let arguments: [String]
    /// The exit status, or the signal number when `signaled`.
    let status: Int32
    let signaled: Bool
    let stdout: String
    let stderr: String

    var exitCode: Int32? { signaled ? nil : status }

    /// A short description for failure messages.
    var summary: String {
        let shownErr = stderr.count > 600 ? String(stderr.prefix(600)) + "…" : stderr
        let shownOut = stdout.count > 600 ? String(stdout.prefix(600)) + "…" : stdout
        return "lineage \(arguments.joined(separator: " ")) → \(signaled ? "signal" : "exit") \(status)\n"
            + "stdout: \(shownOut)\nstderr: \(shownErr)"
    }

    /// stdout parsed as one JSON object (the commands print exactly one line).
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "expected one line of JSON on stdout: \(summary)", sourceLocation: sourceLocation)
        return try JSONHelp.object(String(lines.first ?? ""), sourceLocation: sourceLocation)
    }

    /// Every non-empty stderr line parsed as a JSON object (fails on a line that is not one).
    func stderrJSONLines(sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        try stderr.split(separator: "\n", omittingEmptySubsequences: true).map {
            try JSONHelp.object(String($0), sourceLocation: sourceLocation)
        }
    }
}

/// A `lineage` process started and not yet waited for. stdout and stderr go to files, so no pipe
/// can fill up and block it.
final class RunningCommand {
    let process: Process
    let arguments: [String]
    private let stdoutPath: String
    private let stderrPath: String
    private var handles: [FileHandle]

    /// Starts `lineage ARGUMENTS` in `directory`; with a `prelude`, through `/bin/sh`, which runs
    /// it first (a `umask`, a `ulimit`) and then execs the binary.
    init(
        arguments: [String], directory: String, stdinPath: String?, environment: [String: String],
        prelude: String? = nil
    ) throws {
        let token = UUID().uuidString
        stdoutPath = directory + "/.run-\(token).out"
        stderrPath = directory + "/.run-\(token).err"
        for path in [stdoutPath, stderrPath] {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw HarnessError("cannot create \(path)")
            }
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        handles = [out, err]
        let process = Process()
        if let prelude {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\(prelude) && exec \"$0\" \"$@\"", LineageBinary.path] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: LineageBinary.path)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LINEAGE_LEDGER")
        env.removeValue(forKey: "LINEAGE_KEY_FILE")
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = out
        process.standardError = err
        if let stdinPath {
            let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinPath))
            handles.append(input)
            process.standardInput = input
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        self.process = process
        self.arguments = arguments
        do {
            try process.run()
        } catch {
            closeHandles()
            throw HarnessError("cannot start \(LineageBinary.path): \(error)")
        }
    }

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func wait() throws -> CommandResult {
        process.waitUntilExit()
        closeHandles()
        defer {
            try? FileManager.default.removeItem(atPath: stdoutPath)
            try? FileManager.default.removeItem(atPath: stderrPath)
        }
        let out = try String(contentsOfFile: stdoutPath, encoding: .utf8)
        let err = try String(contentsOfFile: stderrPath, encoding: .utf8)
        return CommandResult(
            arguments: arguments, status: process.terminationStatus,
            signaled: process.terminationReason == .uncaughtSignal, stdout: out, stderr: err)
    }

    private func closeHandles() {
        for handle in handles { try? handle.close() }
        handles = []
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A temporary directory of one test, with a ledger path inside it (not created), removed at the end.
struct Sandbox {
    let root: String
    var ledger: String { root + "/ledger" }

    /// Runs `body` with a fresh sandbox and removes it afterwards, whatever happens.
    static func with<T>(_ body: (Sandbox) throws -> T) throws -> T {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("lineage-cli-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        return try body(Sandbox(root: root))
    }

    func path(_ name: String) -> String { root + "/" + name }

    /// Writes NDJSON lines, each followed by a newline; returns the file's path.
    @discardableResult
    func write(_ lines: [String], to name: String) throws -> String {
        var text = lines.joined(separator: "\n")
        if !lines.isEmpty { text += "\n" }
        let path = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes lines given as raw bytes (which need not be UTF-8), each followed by a newline.
    @discardableResult
    func write(bytes lines: [[UInt8]], to name: String) throws -> String {
        var data: [UInt8] = []
        for line in lines {
            data += line
            data.append(0x0a)
        }
        let path = path(name)
        try Data(data).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Starts `lineage --ledger <this ledger> ARGS` (or `lineage ARGS` when `withLedger` is false).
    /// With `umask`, the process starts with that umask; with `fileSizeLimit`, no file it writes may
    /// grow past that many bytes (`ulimit -f`, in the 512-byte blocks of POSIX `sh`, with `SIGXFSZ`
    /// ignored, so that the write that would pass it fails with `EFBIG` instead of killing it).
    func start(
        _ arguments: [String], withLedger: Bool = true, stdinPath: String? = nil, environment: [String: String] = [:],
        umask: String? = nil, fileSizeLimit: Int? = nil
    ) throws -> RunningCommand {
        var prelude: [String] = []
        if let umask { prelude.append("umask \(umask)") }
        if let fileSizeLimit { prelude += ["trap '' XFSZ", "ulimit -f \(fileSizeLimit / 512)"] }
        return try RunningCommand(
            arguments: (withLedger ? ["--ledger", ledger] : []) + arguments, directory: root, stdinPath: stdinPath,
            environment: environment, prelude: prelude.isEmpty ? nil : prelude.joined(separator: " && "))
    }

    /// Runs `lineage --ledger <this ledger> ARGS` to completion.
    func run(
        _ arguments: [String], withLedger: Bool = true, stdinPath: String? = nil, environment: [String: String] = [:],
        umask: String? = nil, fileSizeLimit: Int? = nil
    ) throws -> CommandResult {
        try start(
            arguments, withLedger: withLedger, stdinPath: stdinPath, environment: environment, umask: umask,
            fileSizeLimit: fileSizeLimit
        ).wait()
    }

    /// Runs a command that must exit 0 and print one JSON object; returns the object.
    func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try run(arguments)
        try #require(result.exitCode == 0, "\(result.summary)", sourceLocation: sourceLocation)
        return try result.json(sourceLocation: sourceLocation)
    }

    /// `lineage init`, which must succeed.
    func initLedger(_ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try run(["init"] + extra)
        try #require(result.exitCode == 0, "\(result.summary)", sourceLocation: sourceLocation)
    }

    /// A new ledger holding `count` fixture events, appended from `events.ndjson` through the CLI,
    /// which must succeed; returns the events.
    func ledger(
        holdingFixtures count: Int, seed: UInt64, rich: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [TestEvent] {
        let events = Fixtures.events(count: count, seed: seed, rich: rich)
        let file = try write(events.map(\.line), to: "events.ndjson")
        try initLedger(sourceLocation: sourceLocation)
        let appended = try run(["append", file])
        try #require(appended.exitCode == 0, "\(appended.summary)", sourceLocation: sourceLocation)
        return events
    }

    /// The tree head as `lineage checkpoint` prints it.
    func checkpoint(sourceLocation: SourceLocation = #_sourceLocation) throws -> (size: Int, root: String) {
        let head = try json(["checkpoint"], sourceLocation: sourceLocation)
        let size = try #require(JSONHelp.int(head["treeSize"]), sourceLocation: sourceLocation)
        let root = try #require(JSONHelp.string(head["root"]), sourceLocation: sourceLocation)
        #expect(JSONHelp.isHash(root), "root \(root) is not 64 lowercase hex digits", sourceLocation: sourceLocation)
        return (size, root)
    }

    /// Parses a receipts file: one JSON object per line, each line ended by a newline. (Parsed as
    /// one array, which is much faster than a parse per line for the big files.)
    func receipts(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
        guard !bytes.isEmpty else { return [] }
        #expect(bytes.last == 0x0a, "the receipts file does not end with a newline", sourceLocation: sourceLocation)
        if bytes.last == 0x0a { bytes.removeLast() }
        #expect(!bytes.contains(0x0d), "a carriage return in the receipts file", sourceLocation: sourceLocation)
        var array: [UInt8] = [UInt8(ascii: "[")]
        array.reserveCapacity(bytes.count + 2)
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0a {
                #expect(previous != 0x0a, "an empty line inside the receipts file", sourceLocation: sourceLocation)
                array.append(UInt8(ascii: ","))
            } else {
                array.append(byte)
            }
            previous = byte
        }
        array.append(UInt8(ascii: "]"))
        let value = try JSONSerialization.jsonObject(with: Data(array))
        return try #require(value as? [[String: Any]], "a receipt is not a JSON object", sourceLocation: sourceLocation)
    }
}

/// JSONSerialization with the type checks the pitfalls call for: `true` is not `1`, `1` is not `true`.
enum JSONHelp {
    static func object(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        return try #require(value as? [String: Any], "not a JSON object: \(text)", sourceLocation: sourceLocation)
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        // JSONSerialization makes `true`/`false` NSNumbers of type "c" (char); numbers are i/q/d.
        String(cString: number.objCType) == "c"
    }

    /// An integer (not a boolean, not a fraction).
    static func int(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        let type = String(cString: number.objCType)
        guard type != "d" && type != "f" else {
            let double = number.doubleValue
            return double == double.rounded() && abs(double) < 1e15 ? Int(double) : nil
        }
        return number.intValue
    }

    /// `true` or `false` exactly (not 1 or 0).
    static func bool(_ value: Any?) -> Bool? {
        guard let number = value as? NSNumber, isBoolean(number) else { return nil }
        return number.boolValue
    }

    static func string(_ value: Any?) -> String? { value as? String }

    static func isNull(_ value: Any?) -> Bool { value is NSNull }

    /// 64 lowercase hexadecimal digits.
    static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
