import Foundation
import Lineage
import Workload

/// Generated workloads for the tests, and the ledger's own reading of them.
enum Sample {
    /// Every line of a workload, in order.
    static func lines(_ configuration: WorkloadConfiguration) throws -> [[UInt8]] {
        var generator = try WorkloadGenerator(configuration)
        var lines: [[UInt8]] = []
        while let line = generator.nextLine() { lines.append(line) }
        return lines
    }

    /// A line as the ledger reads it before any state is involved: parsed, the envelope checked, the
    /// payload checked against the vocabulary (every "before" rule of docs/EVENTS.md).
    static func domainEvent(_ line: [UInt8]) throws -> DomainEvent {
        try DomainEvent(Event(validating: JSONParser.parse(line)))
    }

    /// A moderately sized run shared by the tests that look at the stream as a whole: large enough for
    /// every source and recipient kind to occur, small enough for a debug build.
    static let configuration = WorkloadConfiguration(
        events: 20_000, seed: 2026, probeSizes: [40, 150], probePeoplePerSize: 3)

    static let events: [DomainEvent] = {
        do {
            return try lines(configuration).map(domainEvent)
        } catch {
            fatalError("the shared sample does not generate or parse: \(error)")
        }
    }()

    /// Events per subject in the shared sample.
    static let counts: [String: Int] = events.reduce(into: [:]) { counts, event in
        if let subject = event.envelope.subject { counts[subject, default: 0] += 1 }
    }
}

/// A directory of its own for one test, removed when the test is done with it.
final class TemporaryDirectory {
    let path: String

    init() {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("workload-tests-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
