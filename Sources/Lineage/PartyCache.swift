import Foundation
import LedgerStore

/// The registrations the state rules have looked up in one write transaction, by party. A batch of
/// thousands of events names a few dozen parties, and decoding a registration from the projection
/// for every event was a measurable share of an import; the cache forgets a party as soon as the
/// transaction registers it again, so it never answers with less than the projection holds.
struct PartyCache {
    typealias Registrations = [String: [(micros: Int64, registration: PartyRegistration)]]

    private(set) var registrations: Registrations
    /// Whether the transaction has registered a party: what is cached is then no longer only what
    /// was committed.
    private(set) var hasRegistered = false

    /// Starts from registrations known to be those committed when the transaction began.
    init(committed: Registrations = [:]) { registrations = committed }

    /// The registration of `party` in force at `micros` (the latest whose occurredAt is not later).
    mutating func party(
        _ party: String, at micros: Int64, projections: Projections, in txn: Transaction
    ) throws -> PartyRegistration? {
        if registrations[party] == nil { registrations[party] = try projections.registrations(of: party, in: txn) }
        return registrations[party]?.last { $0.micros <= micros }?.registration
    }

    mutating func forget(_ party: String) {
        registrations[party] = nil
        hasRegistered = true
    }
}

/// Party registrations kept across a process's write transactions, as committed at a given count of
/// `projection.parties` entries. Registrations are only ever added (one entry per registration
/// event, under a key of its own) and a rebuild replays the same ones, so the same count means the
/// same registrations, whichever process committed them. Reading and parsing a party's registrations
/// afresh in every transaction was a tenth of a single append.
final class CommittedPartyRegistrations: @unchecked Sendable {
    // @unchecked: `count` and `registrations` are only touched with `lock` held.
    private let lock = NSLock()
    private var count: Int?
    private var registrations: PartyCache.Registrations = [:]

    /// What is known of the registrations committed when `projection.parties` held `count` entries.
    func registrations(atCount count: Int) -> PartyCache.Registrations {
        lock.withLock { self.count == count ? registrations : [:] }
    }

    /// Keeps what a committed transaction that began and ended at `count` entries read, unless it
    /// registered a party.
    func keep(_ cache: PartyCache, atCount count: Int) {
        guard !cache.hasRegistered else { return }
        lock.withLock {
            self.count = count
            registrations = cache.registrations
        }
    }
}
