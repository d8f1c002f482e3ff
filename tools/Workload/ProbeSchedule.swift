/// The probe people: for each configured size, a few people who receive exactly that many events,
/// spread evenly through the whole stream, so that a query benchmark knows in advance whom to ask
/// about and how long each answer is, and their events are interleaved with everyone else's as a
/// real person's would be (not written as one block, which would flatter the read path).
struct ProbeSchedule {
    struct Probe {
        let subject: [UInt8]
        let target: Int
        let offset: Int
        var emitted = 0
    }

    private(set) var probes: [Probe] = []
    /// The steps the probes are spread over: every event after the party registrations.
    let span: Int
    private(set) var remaining = 0

    init(sizes: [Int], peoplePerSize: Int, span: Int) {
        self.span = span
        guard peoplePerSize > 0 else { return }
        let count = sizes.count * peoplePerSize
        for (sizeIndex, size) in sizes.enumerated() {
            for number in 1...peoplePerSize {
                // Each probe starts at its own phase within its first period, so that probes of the same
                // size do not all fall due at the same steps.
                let ordinal = sizeIndex * peoplePerSize + number
                probes.append(
                    Probe(
                        subject: Array(Self.subject(events: size, number: number).utf8), target: size,
                        offset: span * ordinal / (count + 1)))
                remaining += size
            }
        }
    }

    /// The subject of the `number`-th probe person (from 1) of those with `events` events.
    static func subject(events: Int, number: Int) -> String { "probe-\(events)-\(number)" }

    /// The step at which `probe` is next due: its k-th event at ⌊(k · span + offset) / target⌋.
    private func due(_ probe: Probe) -> Int { (probe.emitted * span + probe.offset) / probe.target }

    /// The probe whose event belongs at `step` (0-based, counted after the registrations), if any. A
    /// probe that fell due while another was being served is served at the next free step; when only
    /// as many steps are left as probe events, every step goes to the probes, so the counts are always
    /// exact.
    mutating func next(at step: Int) -> Int? {
        guard remaining > 0 else { return nil }
        var chosen: Int?
        var earliest = Int.max
        for index in probes.indices where probes[index].emitted < probes[index].target {
            let when = due(probes[index])
            if when < earliest {
                earliest = when
                chosen = index
            }
        }
        guard let chosen, earliest <= step || remaining >= span - step else { return nil }
        probes[chosen].emitted += 1
        remaining -= 1
        return chosen
    }
}
