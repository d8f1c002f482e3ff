import Foundation

/// Party registrations kept between the queries of one process, per ledger, for as long as the
/// ledger's log has the size it had when they were read. Registrations are projected from the
/// records alone, in the transaction that appends them, and the log only ever grows, so two read
/// transactions that see the same number of records see the same registrations; any append (a
/// registration or not) starts the cache afresh. Reading and parsing a party's registrations was
/// about a tenth of a provenance query.
final class QueryPartyCache: @unchecked Sendable {
    // @unchecked: `ledgers` is only touched with `lock` held.
    typealias Registrations = [String: [(micros: Int64, registration: PartyRegistration)]]

    static let shared = QueryPartyCache()

    private struct Entry {
        /// Which ledger: an entry whose ledger is gone (its identifier may be reused) is dropped.
        weak var ledger: Ledger?
        let logSize: UInt64
        let registrations: Registrations
    }

    private let lock = NSLock()
    private var ledgers: [ObjectIdentifier: Entry] = [:]

    /// What is known about `ledger`'s parties at `logSize` records; empty when nothing is.
    func registrations(of ledger: Ledger, logSize: UInt64) -> Registrations {
        lock.withLock {
            guard let entry = ledgers[ObjectIdentifier(ledger)], entry.ledger === ledger, entry.logSize == logSize
            else { return [:] }
            return entry.registrations
        }
    }

    /// Keeps what a query read at `logSize` records, unless a query of a later snapshot was first.
    func store(_ registrations: Registrations, of ledger: Ledger, logSize: UInt64) {
        lock.withLock {
            let id = ObjectIdentifier(ledger)
            if let entry = ledgers[id], entry.ledger === ledger, entry.logSize > logSize { return }
            ledgers = ledgers.filter { $0.value.ledger != nil }
            ledgers[id] = Entry(ledger: ledger, logSize: logSize, registrations: registrations)
        }
    }
}
