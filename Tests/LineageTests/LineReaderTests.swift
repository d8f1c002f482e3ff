import Foundation
import Testing

@testable import Lineage

@Suite("LineReader")
struct LineReaderTests {
    @Test("lines, a last line without a newline, and a line over the limit reported without its bytes")
    func readsLines() throws {
        let (input, feed) = try Self.pipe()
        defer { close(input) }
        let long = [UInt8](repeating: 0x61, count: 100)
        Self.write(feed, Array("one\n".utf8) + long + Array("\ntwo\nthree".utf8))
        close(feed)
        let reader = LineReader(fd: input, limit: 50)
        var lines: [(Int, String, Bool)] = []
        while let line = try reader.next() {
            lines.append((line.number, String(decoding: line.bytes, as: UTF8.self), line.tooLong))
        }
        #expect(lines.map(\.0) == [1, 2, 3, 4])
        #expect(lines.map(\.1) == ["one", "", "two", "three"])
        #expect(lines.map(\.2) == [false, true, false, false])
    }

    @Test("a read waiting on a pipe that stays open ends when the cancellation pipe is written")
    func cancellationEndsAWaitingRead() throws {
        let (input, feed) = try Self.pipe()
        let (cancellation, cancel) = try Self.pipe()
        defer { for end in [input, feed, cancellation, cancel] { close(end) } }
        Self.write(feed, Array("first\n".utf8))
        let reader = LineReader(fd: input, limit: 1_000, cancellation: cancellation)
        #expect(try reader.next().map { String(decoding: $0.bytes, as: UTF8.self) } == "first")

        // The next read has nothing to read and no end of input: only the cancellation ends it.
        let outcome = ReadOutcome()
        let handOver = ReaderHandOver(reader)
        let thread = Thread {
            do {
                _ = try handOver.reader.next()
                outcome.set("returned")
            } catch is LineReader.Cancelled {
                outcome.set("cancelled")
            } catch {
                outcome.set("failed: \(error)")
            }
        }
        thread.start()
        Self.write(cancel, [1])
        #expect(outcome.wait(seconds: 30) == "cancelled")
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        try #require(Glibc.pipe(&ends) == 0)
        return (ends[0], ends[1])
    }

    private static func write(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}

/// The reader, handed to the reading thread; the test thread no longer touches it.
private final class ReaderHandOver: @unchecked Sendable {
    let reader: LineReader
    init(_ reader: LineReader) { self.reader = reader }
}

/// What a reading thread ended with, for the test thread to wait on.
private final class ReadOutcome: @unchecked Sendable {
    // @unchecked: `value` is touched only with `condition` locked.
    private let condition = NSCondition()
    private var value: String?

    func set(_ outcome: String) {
        condition.lock()
        value = outcome
        condition.broadcast()
        condition.unlock()
    }

    /// The outcome, or nil when none came within `seconds` (the read is still waiting).
    func wait(seconds: Double) -> String? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while value == nil && condition.wait(until: deadline) {}
        return value
    }
}
