import Foundation
import Lineage
import Testing
import Workload

@Suite("Workload events are accepted by the ledger")
struct LedgerAcceptanceTests {
    /// Every rule, including those that depend on the ledger's state (parties registered, live values
    /// for disclosures, categories per recipient kind, transfers): appended through the library, as
    /// `lineage append` does. Debug builds append a few thousand events a second, hence the size.
    @Test func aWorkloadIsAppendedWithoutARejection() throws {
        let configuration = WorkloadConfiguration(events: 4_000, seed: 7, probeSizes: [60], probePeoplePerSize: 2)
        let directory = TemporaryDirectory()
        let path = directory.path + "/workload.ndjson"
        let output = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var generator = try WorkloadGenerator(configuration)
        try generator.write(to: output)
        close(output)

        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        let input = open(path, O_RDONLY)
        defer { close(input) }
        var rejections: [String] = []
        let summary = try ledger.append(
            from: input,
            onLine: { outcome in
                if case .rejected(let rejection) = outcome.outcome {
                    rejections.append("line \(outcome.line): \(rejection.rule) at \(rejection.field ?? "-")")
                }
            })
        #expect(rejections.isEmpty, "\(rejections.prefix(10))")
        #expect(summary.rejected == 0)
        #expect(summary.appended == configuration.events)
    }

    /// The rules that need only the event, over a larger run than the ledger test can afford.
    @Test func everyEventPassesTheRulesThatNeedOnlyTheEvent() throws {
        #expect(Sample.events.count == Sample.configuration.events)
    }

    @Test func identityCodesAreValidFinnishAndSwedishCodes() throws {
        var finnish = 0
        var swedish = 0
        for event in Sample.events {
            guard case .ingested(let ingestion) = event.payload else { continue }
            for item in ingestion.items where item.field == "personal_identity_code" {
                guard case .string(let code) = item.value else {
                    Issue.record("an identity code that is not a string")
                    continue
                }
                if PersonalIdentityCode.isValidFinnish(code) {
                    finnish += 1
                } else if PersonalIdentityCode.isValidSwedish(code) {
                    swedish += 1
                } else {
                    Issue.record("an invalid identity code in event \(event.envelope.id)")
                }
            }
        }
        #expect(finnish > 100)
        #expect(swedish > 30)
    }

    /// A person's identity is the same in every event about them.
    @Test func aPersonKeepsTheirNameAndIdentityCode() throws {
        var seen: [String: [String: String]] = [:]
        for event in Sample.events {
            guard case .ingested(let ingestion) = event.payload, let subject = event.envelope.subject else { continue }
            for item in ingestion.items where item.field == "name" || item.field == "personal_identity_code" {
                guard case .string(let value) = item.value else { continue }
                if let earlier = seen[subject]?[item.field] {
                    #expect(earlier == value, "\(subject) \(item.field)")
                } else {
                    seen[subject, default: [:]][item.field] = value
                }
            }
        }
        #expect(seen.count > 500)
    }
}
