import Foundation
import Lineage
import Testing

/// A process's writer keeps party registrations between its transactions; another process's
/// registration, committed in between, must count at the next one.
@Suite("Writer caches and another process")
struct WriterCacheProcessTests {
    static func caseOpened(_ number: Int, client: String) -> String {
        #"{"id":"\#(String(format: "00000000-0000-4000-8000-%012x", number))","type":"case.opened","occurredAt":"2026-02-01T10:00:00Z","subject":"person-\#(number)","schemaVersion":1,"payload":{"case":"case-\#(number)","client":"\#(client)"}}"#
    }

    static let registration =
        #"{"id":"00000000-0000-4000-8000-0000000000ff","type":"party.registered","occurredAt":"2026-01-02T10:00:00Z","schemaVersion":1,"payload":{"party":"nordic","kind":"client","name":"Nordic Claims Oy","country":"FI","certifications":[]}}"#

    func append(_ line: String, to ledger: Ledger, in sandbox: Sandbox, name: String) throws -> Outcome? {
        let fd = open(try sandbox.write([line], to: name), O_RDONLY)
        defer { close(fd) }
        var outcomes: [Outcome] = []
        _ = try ledger.append(from: fd, onLine: { outcomes.append($0.outcome) })
        return outcomes.first
    }

    @Test func aPartyRegisteredByAnotherProcessCountsAtTheNextWrite() throws {
        try Sandbox.with { sandbox in
            try sandbox.initLedger()
            let ledger = try Ledger(directory: sandbox.ledger)
            // This process looks the client up and finds no registration.
            guard
                case .rejected(let rejection) = try append(
                    Self.caseOpened(1, client: "nordic"), to: ledger, in: sandbox, name: "a.ndjson")
            else {
                Issue.record("a case for an unregistered client was not rejected")
                return
            }
            #expect(rejection.rule == .partyNotRegistered)
            // Another process registers it.
            let registered = try sandbox.run(["append", try sandbox.write([Self.registration], to: "b.ndjson")])
            try #require(registered.exitCode == 0, "\(registered.summary)")
            // What this process read before the registration no longer stands.
            #expect(
                try append(Self.caseOpened(2, client: "nordic"), to: ledger, in: sandbox, name: "c.ndjson")
                    == .appended(1))
        }
    }
}
