import Foundation

/// A deterministic stream of NDJSON events for the ledger: the party registrations, then people's
/// cases, ingestions and disclosures, each event valid under docs/EVENTS.md, so that `lineage append`
/// accepts every line. Events are made one at a time and never held; the state kept is 16 bytes per
/// person plus 8 for choosing them.
///
/// ```swift
/// var generator = try WorkloadGenerator(WorkloadConfiguration(events: 1_000_000, seed: 7))
/// let probes = generator.probes            // whom the query benchmark can ask about
/// try generator.write(to: STDOUT_FILENO)   // or: while let line = generator.nextLine() { … }
/// ```
public struct WorkloadGenerator: Sendable {
    public let configuration: WorkloadConfiguration
    /// The lines this generator produces in all: the configuration's `events`.
    public var totalEvents: Int { configuration.events }
    /// The lines produced so far.
    public private(set) var emitted = 0

    var random: Xoshiro256StarStar
    /// A stream of its own for the event ids, so that no other choice shifts them.
    private var idRandom: Xoshiro256StarStar
    var out = EventEncoder(capacity: 1 << 21)
    /// The background people, then the probe people.
    var people: [PersonState]
    private var picker: PersonPicker
    private var schedule: ProbeSchedule
    private let peopleCount: Int
    private var introduced = 0
    private var backgroundStep = 0
    private let backgroundSteps: Int
    /// The current event's time, in seconds since 1970; never decreases.
    var clock: Int64
    var nextCaseNumber: UInt32 = 1
    /// Items written so far in the current ingestion, for the commas between them.
    var itemsInEvent = 0
    let startYear: Int
    /// The first day of the EU-US Data Privacy Framework's adequacy decision, from transfers.json:
    /// before it, a transfer to a certified US processor needs a safeguard like any other.
    let dataPrivacyFrameworkDay = CivilCalendar.days(year: 2023, month: 7, day: 10)

    public init(_ configuration: WorkloadConfiguration) throws(WorkloadError) {
        let registrations = WorkloadConfiguration.registrationCount
        guard configuration.events >= 0 else { throw WorkloadError(description: "the event count is negative") }
        guard configuration.probeSizes.allSatisfy({ $0 > 0 }), configuration.probePeoplePerSize >= 0 else {
            throw WorkloadError(description: "probe sizes must be positive and probe people not negative")
        }
        guard configuration.events >= registrations + configuration.probeEventCount else {
            throw WorkloadError(
                description: "\(configuration.events) events cannot hold the \(registrations) party registrations "
                    + "and the probe people's \(configuration.probeEventCount) events: ask for at least "
                    + "\(registrations + configuration.probeEventCount) events, or fewer or smaller probes")
        }
        guard configuration.people.map({ $0 >= 1 }) ?? true else {
            throw WorkloadError(description: "the number of people must be at least 1")
        }
        guard configuration.meanSecondsBetweenEvents >= 0 else {
            throw WorkloadError(description: "the mean gap between events must not be negative")
        }
        // From 2000 on, every catalogue country is where transfers.json says it is for the workload's
        // transfers (Finland and Sweden in the EEA), and the people's birth years stay in the 1900s and
        // 2000s that identity codes are written for.
        let firstDay = CivilCalendar.days(year: 2000, month: 1, day: 1)
        let lastDay = CivilCalendar.days(year: 2099, month: 1, day: 1)
        guard configuration.start >= Int64(firstDay) * 86_400, configuration.start < Int64(lastDay) * 86_400 else {
            throw WorkloadError(description: "the start must be between 2000-01-01 and 2098-12-31")
        }
        self.configuration = configuration
        random = Xoshiro256StarStar(seed: configuration.seed)
        // The ids depend on the whole configuration: two different workloads sent to one ledger (say, the
        // same seed at two sizes) must not reuse an id for other content, which the ledger would refuse.
        var digest = SplitMix64.mix(configuration.seed ^ 0x1D5)
        for value in [
            configuration.events, configuration.peopleCount, configuration.probePeoplePerSize,
            Int(configuration.start), configuration.meanSecondsBetweenEvents,
        ] + configuration.probeSizes {
            digest = SplitMix64.mix(digest ^ UInt64(bitPattern: Int64(value)))
        }
        idRandom = Xoshiro256StarStar(seed: digest)
        backgroundSteps = configuration.events - registrations - configuration.probeEventCount
        peopleCount = min(configuration.peopleCount, backgroundSteps)
        schedule = ProbeSchedule(
            sizes: configuration.probeSizes, peoplePerSize: configuration.probePeoplePerSize,
            span: configuration.events - registrations)
        people = [PersonState](repeating: PersonState(), count: peopleCount + schedule.probes.count)
        picker = PersonPicker(capacity: peopleCount)
        clock = configuration.start
        startYear = CivilCalendar.date(days: Int(configuration.start / 86_400)).year
    }

    /// The probe people, known before the first event: each receives exactly `events` events.
    public var probes: [(subject: String, events: Int)] {
        schedule.probes.map { (String(decoding: $0.subject, as: UTF8.self), $0.target) }
    }

    /// The probe people a generator configured with these sizes writes, without making one: their
    /// subjects follow from the sizes alone, so a ledger imported earlier can be queried about them.
    public static func probeSubjects(sizes: [Int], peoplePerSize: Int) -> [(subject: String, events: Int)] {
        sizes.flatMap { size in
            (0..<peoplePerSize).map { (ProbeSchedule.subject(events: size, number: $0 + 1), size) }
        }
    }

    /// The next event as one line of JSON without its newline; nil after the last.
    public mutating func nextLine() -> [UInt8]? {
        out.reset()
        guard writeEvent() else { return nil }
        return Array(out.written)
    }

    /// Appends whole newline-terminated lines to `buffer` until it holds at least `bytes` bytes or the
    /// stream ends; returns the number of lines appended.
    public mutating func append(to buffer: inout [UInt8], untilCount bytes: Int) -> Int {
        out.reset()
        var lines = 0
        while buffer.count + out.count < bytes, writeEvent() {
            out.byte(UInt8(ascii: "\n"))
            lines += 1
        }
        buffer.append(contentsOf: out.written)
        return lines
    }

    /// Writes every remaining line, newline-terminated, to `fd` in chunks of about `chunkBytes`.
    public mutating func write(to fd: Int32, chunkBytes: Int = 1 << 20) throws(WorkloadError) {
        while true {
            out.reset()
            var lines = 0
            while out.count < chunkBytes, writeEvent() {
                out.byte(UInt8(ascii: "\n"))
                lines += 1
            }
            guard lines > 0 else { return }
            try Self.writeAll(out.written, to: fd)
        }
    }

    private static func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to fd: Int32) throws(WorkloadError) {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw WorkloadError(description: "writing the workload failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    // MARK: The stream

    /// Appends the next event to `out`; false when the stream is over.
    private mutating func writeEvent() -> Bool {
        guard emitted < configuration.events else { return false }
        let registrations = Parties.registrations
        if emitted < registrations.count {
            writeRegistration(registrations[emitted])
        } else {
            let step = emitted - registrations.count
            clock += Int64(random.below(2 * configuration.meanSecondsBetweenEvents + 1))
            if let probe = schedule.next(at: step) {
                writePersonEvent(peopleCount + probe)
            } else {
                let person: Int
                // Person k arrives at background step ⌊k · steps / people⌋: evenly through the stream.
                if introduced < peopleCount && backgroundStep >= introduced * backgroundSteps / peopleCount {
                    person = introduced
                    picker.introduce(person, random: &random)
                    introduced += 1
                } else {
                    person = picker.pick(random: &random)
                }
                backgroundStep += 1
                writePersonEvent(person)
            }
        }
        emitted += 1
        return true
    }

    private mutating func writeRegistration(_ party: Party) {
        out.beginEvent(id: nextID(), type: "party.registered", at: clock)
        out.beginPayload()
        out.member("party", party.id)
        out.comma()
        out.member("kind", party.kind)
        out.comma()
        out.openString("name")
        out.text(party.name)
        out.quote()
        out.comma()
        out.member("country", party.country)
        if let certification = party.certification {
            out.raw(",\"certifications\":[\"")
            out.raw(certification)
            out.raw("\"]")
        }
        out.endEvent()
    }

    private mutating func writePersonEvent(_ index: Int) {
        let identity = PersonIdentity(seed: configuration.seed, index: index, startYear: startYear)
        var state = people[index]
        switch state.step {
        case .openCase: writeCaseOpened(&state, identity, index)
        case .clientHandover: writeClientHandover(&state, identity, index)
        case .caseNumber: writeCaseNumber(&state, identity, index)
        case .populationRegister: writePopulationRegister(&state, identity, index)
        case .underway: write(drawActivity(state, identity), &state, identity, index)
        }
        state.events &+= 1
        people[index] = state
    }

    /// An activity that can happen to the person: a few draws, then the one that always can (a letter
    /// in an open case, else a new case).
    private mutating func drawActivity(_ state: PersonState, _ identity: PersonIdentity) -> Activity {
        for _ in 0..<4 {
            let activity = Activity.drawTable[random.below(Activity.drawTable.count)]
            if activity.isPossible(state, identity) { return activity }
        }
        return state.caseOpen ? .letter : .openCase
    }

    // MARK: Envelope pieces for the activity writers

    /// A random version-4 UUID (RFC 9562 §5.4): 122 random bits, version and variant fixed.
    private mutating func nextID() -> (high: UInt64, low: UInt64) {
        let high = (idRandom.next() & ~0xF000) | 0x4000
        let low = (idRandom.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return (high, low)
    }

    /// The envelope of a person's event, up to the opening brace of its payload.
    mutating func begin(_ type: StaticString, person index: Int) {
        out.beginEvent(id: nextID(), type: type, at: clock)
        out.openSubject()
        if index < peopleCount {
            out.raw("person-")
            out.digits(index + 1, width: 7)
        } else {
            out.raw(schedule.probes[index - peopleCount].subject)
        }
        out.quote()
        out.beginPayload()
    }

    /// The probe people's and everyone's counts so far, for tests and reports: subject → events.
    public func eventCounts() -> [(subject: String, events: Int)] {
        people.indices.map { index in
            let subject =
                index < peopleCount
                ? "person-" + String(repeating: "0", count: max(0, 7 - String(index + 1).count)) + String(index + 1)
                : String(decoding: schedule.probes[index - peopleCount].subject, as: UTF8.self)
            return (subject, Int(people[index].events))
        }
    }
}
