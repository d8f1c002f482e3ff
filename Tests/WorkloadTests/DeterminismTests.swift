import Foundation
import Testing
import Workload

@Suite("Workload determinism and output")
struct DeterminismTests {
    static let configuration = WorkloadConfiguration(events: 3_000, seed: 42, probeSizes: [30], probePeoplePerSize: 2)

    @Test func theSameSeedGivesTheSameBytes() throws {
        #expect(try Sample.lines(Self.configuration) == Sample.lines(Self.configuration))
    }

    @Test func anotherSeedGivesOtherEventsAndOtherIds() throws {
        var other = Self.configuration
        other.seed = 43
        let first = try Sample.lines(Self.configuration)
        let second = try Sample.lines(other)
        #expect(first != second)
        let firstIDs = Set(try first.map { try Sample.domainEvent($0).envelope.id })
        let secondIDs = Set(try second.map { try Sample.domainEvent($0).envelope.id })
        #expect(firstIDs.isDisjoint(with: secondIDs))
    }

    /// Another size with the same seed is another workload: its ids must differ too, or sending both to
    /// one ledger would be refused as id conflicts.
    @Test func anotherSizeWithTheSameSeedUsesOtherIds() throws {
        var larger = Self.configuration
        larger.events = 3_500
        let first = Set(try Sample.lines(Self.configuration).map { try Sample.domainEvent($0).envelope.id })
        let second = Set(try Sample.lines(larger).map { try Sample.domainEvent($0).envelope.id })
        #expect(first.isDisjoint(with: second))
    }

    @Test func writingToAFileGivesTheLinesEachFollowedByANewline() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/workload.ndjson"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        var generator = try WorkloadGenerator(Self.configuration)
        // A small chunk size, so that the file is written in many chunks.
        try generator.write(to: fd, chunkBytes: 10_000)
        close(fd)
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let expected = try Sample.lines(Self.configuration).flatMap { $0 + [UInt8(ascii: "\n")] }
        #expect(written == expected)
        #expect(generator.nextLine() == nil)
    }

    @Test func appendingToABufferGivesTheSameLines() throws {
        var generator = try WorkloadGenerator(Self.configuration)
        var buffer: [UInt8] = []
        var lines = 0
        while true {
            let appended = generator.append(to: &buffer, untilCount: buffer.count + 5_000)
            if appended == 0 { break }
            lines += appended
        }
        #expect(lines == Self.configuration.events)
        #expect(buffer == (try Sample.lines(Self.configuration).flatMap { $0 + [UInt8(ascii: "\n")] }))
    }

    /// Names are written as UTF-8, not as \u escapes; quotation marks in free texts are escaped.
    @Test func nonASCIIIsWrittenAsUTF8AndQuotesAreEscaped() throws {
        let text = String(decoding: try Sample.lines(Sample.configuration).joined(), as: UTF8.self)
        #expect(text.contains("ä"))
        #expect(!text.contains("\\u00"))
        #expect(text.contains(#"\"the meter reading was wrong\""#))
    }

    @Test func aConfigurationTooSmallForItsProbesIsRefused() throws {
        #expect(throws: WorkloadError.self) {
            try WorkloadGenerator(WorkloadConfiguration(events: 1_000, probeSizes: [100, 1000], probePeoplePerSize: 5))
        }
        #expect(throws: WorkloadError.self) {
            try WorkloadGenerator(WorkloadConfiguration(events: 10, probeSizes: []))
        }
        let smallest = WorkloadConfiguration.registrationCount + 2 * 10
        #expect(
            try Sample.lines(WorkloadConfiguration(events: smallest, probeSizes: [10], probePeoplePerSize: 2))
                .count == smallest)
    }
}
