import Foundation

/// Lets the other threads of a process stand still while a write transaction commits. With a
/// writable map the commit's `msync` write-protects every page the transaction dirtied, and each
/// protected page's TLB flush interrupts every other core that is running the process at that
/// moment: nothing for an idle core, a stall of both for a busy one (the import's producer, which
/// lost 7.5 % of the writer's time that way). A thread that calls ``waitWhileCommitting()`` between
/// its steps sits out the commit instead.
///
/// A transaction commits through the gate given to ``Transaction/commitThrough(_:)``.
public final class CommitGate: @unchecked Sendable {
    // @unchecked: `isCommitting` is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var isCommitting = false
    private var commits = 0

    public init() {}

    /// How many times `mdb_txn_commit` has run through the gate (a commit that failed for a full map
    /// and ran again in a grown one counts twice).
    public var passes: Int {
        condition.lock()
        defer { condition.unlock() }
        return commits
    }

    func enter() {
        condition.lock()
        isCommitting = true
        commits += 1
        condition.unlock()
    }

    func leave() {
        condition.lock()
        isCommitting = false
        condition.broadcast()
        condition.unlock()
    }

    /// Returns at once unless a commit is under way; then when it has ended.
    public func waitWhileCommitting() {
        condition.lock()
        while isCommitting { condition.wait() }
        condition.unlock()
    }
}
