import Foundation
import Testing

@Suite("lineage stats")
struct StatsTests {
    @Test("the free pages a rebuild leaves are counted, and later rebuilds take them instead of growing")
    func freePagesAfterRebuild() throws {
        try Sandbox.with { box in
            let events = Fixtures.events(count: 2_000, seed: 0x57A7, rich: false)
            let file = try box.write(events.map(\.line), to: "events.ndjson")
            try box.initLedger()
            #expect(try box.run(["append", file]).exitCode == 0)
            func usage() throws -> (used: Int, free: Int) {
                let stats = try box.json(["stats"])
                let used = try #require(JSONHelp.int(stats["usedBytes"]))
                let free = try #require(JSONHelp.int(stats["freeBytes"]))
                #expect(free >= 0 && free < used, "\(stats)")
                return (used, free)
            }
            let imported = try usage()
            #expect(try box.run(["rebuild"]).exitCode == 0)
            // The new projections were written beside the old ones, whose pages are now free.
            let rebuilt = try usage()
            #expect(rebuilt.used > imported.used)
            #expect(rebuilt.free > imported.free)
            let live = (imported: imported.used - imported.free, rebuilt: rebuilt.used - rebuilt.free)
            #expect(abs(live.rebuilt - live.imported) <= imported.used / 10, "\(imported) then \(rebuilt)")
            // The second rebuild cannot take them yet: its decoders read in a snapshot of the first
            // rebuild's commit, which freed them, and LMDB reuses only what no snapshot can still see.
            // The third takes what the second freed: the ledger stops growing.
            #expect(try box.run(["rebuild"]).exitCode == 0)
            let second = try usage()
            #expect(try box.run(["rebuild"]).exitCode == 0)
            let third = try usage()
            #expect(third.used - second.used < (rebuilt.used - imported.used) / 4, "\(second) then \(third)")
            #expect(abs((third.used - third.free) - live.imported) <= imported.used / 10)
        }
    }
}
