/// What to generate. The same configuration (seed included) gives the same bytes on every machine.
public struct WorkloadConfiguration: Sendable, Equatable {
    /// Lines in all: the party registrations, then the people's events.
    public var events: Int
    public var seed: UInt64
    /// How many people the stream introduces (besides the probe people); nil for one per 32 events,
    /// the ratio of a collection ledger where most people have a few tens of events. At most one person
    /// is introduced per event, so more people than events are never all introduced.
    public var people: Int?
    /// For each size, ``probePeoplePerSize`` people who receive exactly that many events.
    public var probeSizes: [Int]
    public var probePeoplePerSize: Int
    /// When the stream begins, in seconds since 1970-01-01T00:00:00Z: the time of the registrations.
    public var start: Int64
    /// The mean gap between consecutive events, in seconds (each gap is uniform in 0…2×mean): at the
    /// default 3 s, ten million events cover about a year.
    public var meanSecondsBetweenEvents: Int

    /// 2026-01-05T08:00:00Z, the sample's start: inside every adequacy decision the vocabulary has
    /// for the catalogue's countries.
    public static let defaultStart = Int64(CivilCalendar.days(year: 2026, month: 1, day: 5)) * 86_400 + 8 * 3600

    public init(
        events: Int, seed: UInt64 = 1, people: Int? = nil, probeSizes: [Int] = [100, 1000],
        probePeoplePerSize: Int = 5, start: Int64 = Self.defaultStart, meanSecondsBetweenEvents: Int = 3
    ) {
        self.events = events
        self.seed = seed
        self.people = people
        self.probeSizes = probeSizes
        self.probePeoplePerSize = probePeoplePerSize
        self.start = start
        self.meanSecondsBetweenEvents = meanSecondsBetweenEvents
    }

    /// The number of people the stream introduces, besides the probe people.
    public var peopleCount: Int { people ?? max(1, events / 32) }

    /// The lines that register parties before any person's event.
    public static var registrationCount: Int { Parties.registrations.count }

    /// The events the probe people receive in all.
    public var probeEventCount: Int { probeSizes.reduce(0, +) * probePeoplePerSize }
}

/// Why a configuration cannot be generated.
public struct WorkloadError: Error, Equatable, CustomStringConvertible {
    public let description: String
}
