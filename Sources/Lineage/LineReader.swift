import Foundation

/// Reads newline-separated lines from a file descriptor in large chunks, without holding more than
/// one chunk plus one line in memory. A line longer than the limit is reported as too long and
/// skipped, not buffered.
final class LineReader {
    struct Line {
        let number: Int
        let bytes: [UInt8]
        let tooLong: Bool
    }

    private let fd: Int32
    private let limit: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private var lineNumber = 0
    private static let chunkSize = 1 << 20

    init(fd: Int32, limit: Int) {
        self.fd = fd
        self.limit = limit
    }

    func next() throws -> Line? {
        var tooLong = false
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0a) {
                lineNumber += 1
                let bytes = tooLong ? [] : Array(buffer[start..<newline])
                start = newline + 1
                return Line(number: lineNumber, bytes: bytes, tooLong: tooLong || newline - start > limit)
            }
            if buffer.count - start > limit {
                // Keep only the knowledge that this line is too long, not its bytes.
                tooLong = true
                start = buffer.count
            }
            if atEnd {
                guard start < buffer.count || tooLong else { return nil }
                lineNumber += 1
                let bytes = tooLong ? [] : Array(buffer[start...])
                start = buffer.count
                return Line(number: lineNumber, bytes: bytes, tooLong: tooLong)
            }
            try fill()
        }
    }

    private func fill() throws {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: Self.chunkSize))
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, Self.chunkSize) }
        if count < 0 {
            buffer.removeLast(Self.chunkSize)
            if errno == EINTR { return }
            throw LedgerError.io(path: "input", operation: "read", errno: errno)
        }
        buffer.removeLast(Self.chunkSize - count)
        if count == 0 { atEnd = true }
    }
}
