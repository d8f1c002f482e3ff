import Foundation

/// Counts, sizes and settings of a ledger, for `lineage stats`.
public struct LedgerStatistics: Sendable {
    public struct DatabaseUsage: Sendable {
        public let name: String
        /// LMDB's own counts; for a database kept as sorted runs they include its directory and filters.
        public let statistics: DatabaseStatistics
        /// The entries the database holds: LMDB's count, or for sorted runs the entries of its runs.
        public let entries: Int
        /// For a database kept as sorted runs, how many runs it has now.
        public let runs: Int?
    }

    public let head: TreeHead
    public let databases: [DatabaseUsage]
    public let environment: EnvironmentInfo
    public let durability: Durability
    /// The length of `data.mdb`: the map size, which the ledger keeps allocated on disk (the pages
    /// up to the last one written are `environment.usedBytes`).
    public let fileBytes: Int
    /// Of `environment.usedBytes`, the pages on LMDB's free list: written once, freed by a later
    /// commit (a rebuild frees the old projections' pages), and taken again before the file grows.
    public let freeBytes: Int
}

extension Ledger {
    public func statistics() throws -> LedgerStatistics {
        let runIndexes = self.runIndexes
        let (head, usage, freePages) = try environment.read { txn in
            (
                try log.treeHead(in: txn),
                try databases.map { database in
                    let statistics = try txn.statistics(database)
                    let runs = try runIndexes[database.name]?.runs(in: txn)
                    return LedgerStatistics.DatabaseUsage(
                        name: database.name, statistics: statistics,
                        entries: runs.map { Int($0.reduce(0) { $0 + $1.entries }) } ?? statistics.entries,
                        runs: runs?.count)
                },
                try txn.freePages()
            )
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/data.mdb")
        let info = environment.info
        return LedgerStatistics(
            head: head, databases: usage, environment: info, durability: environment.durability,
            fileBytes: (attributes?[.size] as? NSNumber)?.intValue ?? 0, freeBytes: freePages * info.pageSize)
    }
}
