import Foundation
import Testing

@testable import Lineage

/// What the writer keeps between write transactions (party registrations, run directories and
/// filters) must never answer differently from the ledger as committed: not after a transaction that
/// was thrown away (another process's writes: `WriterCacheProcessTests`, with the CLI).
@Suite("Caches kept across write transactions")
struct WriterCacheTests {
    static func registration(_ number: Int, party: String) -> String {
        #"{"id":"\#(id(number))","type":"party.registered","occurredAt":"2026-01-02T10:00:00Z","schemaVersion":1,"payload":{"party":"\#(party)","kind":"client","name":"Nordic Claims Oy","country":"FI","certifications":[]}}"#
    }

    static func caseOpened(_ number: Int, client: String) -> String {
        #"{"id":"\#(id(number))","type":"case.opened","occurredAt":"2026-02-01T10:00:00Z","subject":"person-\#(number)","schemaVersion":1,"payload":{"case":"case-\#(number)","client":"\#(client)"}}"#
    }

    static func id(_ number: Int) -> String { String(format: "00000000-0000-4000-8000-%012x", number) }

    func append(_ lines: [String], to ledger: Ledger, options: AppendOptions = AppendOptions()) throws -> [Outcome] {
        let pipe = Pipe()
        pipe.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try pipe.fileHandleForWriting.close()
        var outcomes: [Outcome] = []
        _ = try ledger.append(
            from: pipe.fileHandleForReading.fileDescriptor, options: options, onLine: { outcomes.append($0.outcome) })
        return outcomes
    }

    func rule(_ outcome: Outcome?) -> Rule? {
        if case .rejected(let rejection) = outcome { return rejection.rule }
        return nil
    }

    @Test func aDryRunsRegistrationIsNotRemembered() throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        // The dry run registers the client and opens a case for it, which reads the registration back.
        let dryRun = try append(
            [Self.registration(1, party: "nordic"), Self.caseOpened(2, client: "nordic")], to: ledger,
            options: AppendOptions(dryRun: true))
        #expect(dryRun == [.wouldAppend(0), .wouldAppend(1)])
        // Nothing of it was committed: the client is still unknown.
        #expect(rule(try append([Self.caseOpened(3, client: "nordic")], to: ledger).first) == .partyNotRegistered)
        #expect(try ledger.treeHead().size == 0)
    }

    @Test func anAbortedAtomicRunsRegistrationIsNotRemembered() throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        // The case reads the registration back inside the run; the last line is refused, so the run
        // stores nothing.
        let atomic = try append(
            [Self.registration(1, party: "nordic"), Self.caseOpened(2, client: "nordic"), "{"], to: ledger,
            options: AppendOptions(atomic: true))
        #expect(atomic.prefix(2) == [.discarded, .discarded])
        #expect(rule(try append([Self.caseOpened(3, client: "nordic")], to: ledger).first) == .partyNotRegistered)
        #expect(try ledger.treeHead().size == 0)
    }

    @Test func registrationsReadInOneWriteServeTheNext() throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.create(directory: directory.path + "/ledger")
        #expect(try append([Self.registration(1, party: "nordic")], to: ledger) == [.appended(0)])
        // One case per transaction: each transaction after the first finds the client cached; a party
        // looked up before it was registered is found by the transactions after its registration.
        for number in 2..<6 {
            #expect(
                try append([Self.caseOpened(number, client: "nordic")], to: ledger) == [.appended(UInt64(number - 1))])
        }
        #expect(rule(try append([Self.caseOpened(6, client: "baltic")], to: ledger).first) == .partyNotRegistered)
        #expect(try append([Self.registration(7, party: "baltic")], to: ledger) == [.appended(5)])
        #expect(try append([Self.caseOpened(8, client: "baltic")], to: ledger) == [.appended(6)])
    }
}
