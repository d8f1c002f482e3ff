import Foundation

/// Counts, sizes and settings of a ledger, for `lineage stats`.
public struct LedgerStatistics: Sendable {
    public struct DatabaseUsage: Sendable {
        public let name: String
        public let statistics: DatabaseStatistics
    }

    public let head: TreeHead
    public let databases: [DatabaseUsage]
    public let environment: EnvironmentInfo
    public let durability: Durability
    /// The size of `data.mdb` on disk.
    public let fileBytes: Int
}

extension Ledger {
    public func statistics() throws -> LedgerStatistics {
        let (head, usage) = try environment.read { txn in
            (
                try log.treeHead(in: txn),
                try databases.map { LedgerStatistics.DatabaseUsage(name: $0.name, statistics: try txn.statistics($0)) }
            )
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/data.mdb")
        return LedgerStatistics(
            head: head, databases: usage, environment: environment.info, durability: environment.durability,
            fileBytes: (attributes?[.size] as? NSNumber)?.intValue ?? 0)
    }
}
