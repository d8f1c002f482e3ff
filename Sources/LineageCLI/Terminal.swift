import Foundation

/// Where the CLI writes: stdout for results, stderr for diagnostics and progress. Through
/// `write(contentsOf:)`, which throws: FileHandle's `write(_: Data)` traps when the write fails
/// (stdout redirected to a full disk), and the command crashed instead of failing.
enum Terminal {
    static func out(_ line: String) { out(bytes: Array((line + "\n").utf8)) }

    /// Writes bytes to stdout; a failure is remembered (``outputFailed``), for the exit code.
    static func out(bytes: [UInt8]) {
        do {
            try FileHandle.standardOutput.write(contentsOf: bytes)
        } catch {
            failedOutput.set()
        }
    }

    static func err(_ line: String) { err(bytes: Array((line + "\n").utf8)) }

    /// Writes bytes to stderr; a failure there has nowhere to be told.
    static func err(bytes: [UInt8]) {
        try? FileHandle.standardError.write(contentsOf: bytes)
    }

    /// Whether a write to stdout has failed: the command's result did not reach its reader.
    static var outputFailed: Bool { failedOutput.isSet }
    private static let failedOutput = Flag()

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

/// Progress on stderr, only when it is a terminal (never in CI or when redirected), at most a few
/// times a second: count, rate and elapsed time, on one rewritten line.
final class ProgressLine {
    private let label: String
    private let enabled = Terminal.stderrIsTerminal
    private let started = Date()
    private var lastShown = Date.distantPast
    private var shownAnything = false

    init(label: String) { self.label = label }

    func update(_ count: Int) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastShown) >= 0.2 else { return }
        lastShown = now
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Int(Double(count) / elapsed) : 0
        Terminal.err(bytes: Array("\r\(label): \(count) (\(rate)/s, \(String(format: "%.1f", elapsed)) s)   ".utf8))
        shownAnything = true
    }

    func finish() {
        if shownAnything { Terminal.err(bytes: [0x0a]) }
    }
}

/// A flag set once, from any thread.
final class Flag: @unchecked Sendable {
    // @unchecked: `value` is touched only with `lock` held.
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
