import LedgerStore

/// The registrations the state rules have looked up in one write transaction, by party. A batch of
/// thousands of events names a few dozen parties, and decoding a registration from the projection
/// for every event was a measurable share of an import; the cache forgets a party as soon as the
/// transaction registers it again, so it never answers with less than the projection holds.
struct PartyCache {
    private var registrations: [String: [(micros: Int64, registration: PartyRegistration)]] = [:]

    /// The registration of `party` in force at `micros` (the latest whose occurredAt is not later).
    mutating func party(
        _ party: String, at micros: Int64, projections: Projections, in txn: Transaction
    ) throws -> PartyRegistration? {
        if registrations[party] == nil { registrations[party] = try projections.registrations(of: party, in: txn) }
        return registrations[party]?.last { $0.micros <= micros }?.registration
    }

    mutating func forget(_ party: String) { registrations[party] = nil }
}
