import Foundation
import Testing

@Suite("lineage stats")
struct StatsTests {
    @Test("the free pages a rebuild leaves are counted, and the next rebuild takes them instead of growing")
    func freePagesAfterRebuild() throws {
        try Sandbox.with { box in
            _ = try box.ledger(holdingFixtures: 2_000, seed: 0x57A7, rich: false)
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
            // The next rebuild takes them (LMDB gives a write transaction no page the newest commit
            // freed, so a commit of nothing comes first): the ledger stops growing. With 4 KiB pages
            // the growth allowed is a hundred-odd pages; what is checked is a few.
            for _ in 0..<2 {
                #expect(try box.run(["rebuild"]).exitCode == 0)
                let again = try usage()
                #expect(again.used - rebuilt.used < (rebuilt.used - imported.used) / 4, "\(rebuilt) then \(again)")
                #expect(abs((again.used - again.free) - live.imported) <= imported.used / 10)
            }
        }
    }
}
