/// What can go wrong when asking the log for something it cannot give.
public enum LogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A sequence number at or past the tree size it was asked against.
    case sequenceOutOfRange(sequence: UInt64, treeSize: UInt64)
    /// A tree size larger than the log, or a proof between sizes in the wrong order.
    case treeSizeOutOfRange(requested: UInt64, treeSize: UInt64)
    /// A stored Merkle node that must exist is missing: the file has been damaged.
    case missingNode(level: Int, index: UInt64)

    public var description: String {
        switch self {
        case .sequenceOutOfRange(let sequence, let treeSize):
            return "sequence number \(sequence) is past the tree of size \(treeSize)"
        case .treeSizeOutOfRange(let requested, let treeSize):
            return "tree size \(requested) is not within the log's size \(treeSize)"
        case .missingNode(let level, let index):
            return "stored Merkle node (level \(level), index \(index)) is missing"
        }
    }
}
