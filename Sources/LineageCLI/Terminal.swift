import Foundation

/// Where the CLI writes: stdout for results, stderr for diagnostics and progress.
enum Terminal {
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func err(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

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
        FileHandle.standardError.write(
            Data("\r\(label): \(count) (\(rate)/s, \(String(format: "%.1f", elapsed)) s)   ".utf8))
        shownAnything = true
    }

    func finish() {
        if shownAnything { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
