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

    /// Thrown by ``next()`` once the cancellation descriptor has become readable.
    struct Cancelled: Error {}

    private let fd: Int32
    /// A pipe's read end that becomes readable (a byte, or its write end closed) when the reading is
    /// to stop: a read that would wait for input on a pipe or terminal waits for it too.
    private let cancellation: Int32?
    private let limit: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private var lineNumber = 0
    private static let chunkSize = 1 << 20

    init(fd: Int32, limit: Int, cancellation: Int32? = nil) {
        self.fd = fd
        self.limit = limit
        self.cancellation = cancellation
    }

    func next() throws -> Line? {
        var tooLong = false
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0a) {
                lineNumber += 1
                // Measured before `start` moves past it (measured after, no line was ever too long
                // here, and only the preparer's own check caught one that fitted in the buffer).
                let isTooLong = tooLong || newline - start > limit
                let bytes = isTooLong ? [] : Array(buffer[start..<newline])
                start = newline + 1
                return Line(number: lineNumber, bytes: bytes, tooLong: isTooLong)
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

    /// Waits until the input has bytes (or its end) to read, or the reading is cancelled.
    private func waitForInput(cancellation: Int32) throws {
        var descriptors = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: cancellation, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw LedgerError.io(path: "input", operation: "poll", errno: errno)
            }
            if descriptors[1].revents != 0 { throw Cancelled() }
            if descriptors[0].revents != 0 { return }
        }
    }

    private func fill() throws {
        if let cancellation { try waitForInput(cancellation: cancellation) }
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
