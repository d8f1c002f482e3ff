import Lineage
import Testing
import Workload

@Suite("Workload shape: probes, skew, coverage, order")
struct DistributionTests {
    @Test func probePeopleReceiveExactlyTheirCounts() throws {
        let generator = try WorkloadGenerator(Sample.configuration)
        let probes = generator.probes
        #expect(probes.count == 6)
        #expect(probes.map(\.events).sorted() == [40, 40, 40, 150, 150, 150])
        for probe in probes {
            #expect(Sample.counts[probe.subject] == probe.events, "\(probe.subject)")
        }
    }

    /// Each probe person's events span the stream, interleaved with everyone else's.
    @Test func probeEventsAreSpreadThroughTheStream() throws {
        let generator = try WorkloadGenerator(Sample.configuration)
        let total = Sample.events.count
        for probe in generator.probes {
            let positions = Sample.events.indices.filter { Sample.events[$0].envelope.subject == probe.subject }
            #expect(positions.first! < total / 5, "\(probe.subject) starts late")
            #expect(positions.last! > total * 4 / 5, "\(probe.subject) ends early")
            let smallestGap = zip(positions, positions.dropFirst()).map { $1 - $0 }.min()!
            #expect(smallestGap > 1, "\(probe.subject) has events in a block")
        }
    }

    @Test func activityIsSkewed() throws {
        let background = Sample.counts.filter { $0.key.hasPrefix("person-") }.map(\.value).sorted()
        let median = background[background.count / 2]
        let busiest = background.last!
        #expect(median >= 10, "most people have some tens of events")
        #expect(busiest >= 20 * median, "the busiest has \(busiest), the median \(median)")
    }

    @Test func everySourceAndRecipientKindOccurs() throws {
        var kinds: [String: String] = [:]
        var sources: Set<String> = []
        var recipients: Set<String> = []
        var types: Set<String> = []
        for event in Sample.events {
            types.insert(event.envelope.type)
            switch event.payload {
            case .partyRegistered(let party): kinds[party.party] = party.kind
            case .ingested(let ingestion): sources.insert(kinds[ingestion.source] ?? "unregistered")
            case .disclosed(let disclosure): recipients.insert(kinds[disclosure.recipient] ?? "unregistered")
            case .caseOpened, .caseClosed: break
            }
        }
        let all = Set(Vocabulary.standard.partyKinds.keys)
        #expect(Set(kinds.values) == all, "every kind is registered")
        #expect(sources == all)
        // The company does not disclose to itself.
        #expect(recipients == all.subtracting(["controller_internal"]))
        #expect(types == Set(DomainEvent.types))
    }

    @Test func timeNeverGoesBackAndIdsAreUnique() throws {
        let times = Sample.events.map(\.envelope.occurredAt.microseconds)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(Set(Sample.events.map(\.envelope.id)).count == Sample.events.count)
    }

    @Test func theAverageEventIsTheSizeOfARealFeedsEvent() throws {
        let lines = try Sample.lines(Sample.configuration)
        let average = lines.map(\.count).reduce(0, +) / lines.count
        #expect((300...500).contains(average), "\(average) bytes")
    }
}
