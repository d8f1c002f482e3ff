extension Ledger {
    /// Recomputes everything from the records, in one read snapshot: the Merkle tree (every leaf,
    /// every stored node, the root), then each record's format, its event's envelope and canonical
    /// form, and the idempotency entry it must have (its sequence number and keyed digest), and that
    /// no idempotency entry exists without a record. Then, in a write transaction that is thrown
    /// away (so it waits for, and holds off, writers), that every projection equals a replay of the
    /// records. The first disagreement is returned.
    /// A damaged LMDB file surfaces as a thrown ``LMDBError`` whose `isCorruption` is true.
    public func verify(progress: (UInt64) -> Void = { _ in }) throws -> LogVerification {
        let preparer = try makePreparer()
        let result: LogVerification = try environment.read { txn in
            let treeResult = try log.verify(in: txn) { progress($0 / 2) }
            guard case .intact(let head, _) = treeResult else { return treeResult }
            var sequence: UInt64 = 0
            while sequence < head.size {
                if let problem = try checkEvent(at: sequence, in: txn, preparer: preparer) {
                    return .damaged(sequence: sequence, problem: problem)
                }
                sequence += 1
                if sequence & 0xffff == 0 { progress(head.size / 2 + sequence / 2) }
            }
            let indexed = try txn.statistics(idempotency).entries
            if indexed != Int(head.size) {
                return .damaged(
                    sequence: head.size,
                    problem: "the idempotency index has \(indexed) entries for \(head.size) records")
            }
            progress(head.size)
            return treeResult
        }
        guard case .intact(let head, _) = result else { return result }
        if let differing = try projectionsDifferingFromReplay().first {
            return .damaged(sequence: head.size, problem: "\(differing) does not match a replay of the records")
        }
        return result
    }

    private func checkEvent(at sequence: UInt64, in txn: Transaction, preparer: EventPreparer) throws -> String? {
        guard let bytes = try log.record(at: sequence, in: txn) else { return "record \(sequence) is missing" }
        let stored: StoredEvent
        do {
            stored = try StoredEvent(sequence: sequence, bytes: bytes)
        } catch let unreadable as StoredEvent.Unreadable {
            return unreadable.description
        }
        let envelope = stored.event.envelope
        guard envelope.canonical == stored.record.canonicalEvent else {
            return "record \(sequence) does not hold its event in canonical form"
        }
        guard let entry = try txn.get(idempotency, key: envelope.id.bytes) else {
            return "record \(sequence)'s event id is missing from the idempotency index"
        }
        guard BigEndian.uint64(entry) == sequence else {
            return "record \(sequence)'s event id points to another sequence number in the idempotency index"
        }
        let received: [UInt8]?
        do {
            received = try stored.receivedCanonical(vault: vault, in: txn)
        } catch is OpenError {
            return "record \(sequence) has a sealed value that does not authenticate"
        }
        // Values whose data keys were destroyed (erased) can no longer be checked against the digest.
        if let received, Array(entry.dropFirst(8)) != (try preparer.digest(of: received)).bytes {
            return "record \(sequence)'s keyed digest does not match the idempotency index"
        }
        return nil
    }
}
