import Foundation

/// What the import's producer thread found for one event in a read snapshot of the ledger taken
/// before the event's batch was handed to the writer: facts about that snapshot, which stay true,
/// and the values sealed under keys it found there. The writer trusts them for the snapshot and looks
/// itself only at what is newer — its own transaction's puts and the runs stored since (their
/// recency at or above the snapshot's floors) — so the lookups that need no lock (and half the
/// sealing) run on the other core.
///
/// Why each hint stays true: a stored event id never goes away; a field's versions only grow, and
/// the newest of a snapshot's is compared with the newest stored since; a unit keeps its data key
/// until the key is destroyed, which moves the vault's generation on (then every key hint is
/// dropped and the writer seals afresh).
struct SnapshotHints: Sendable {
    /// The snapshot's recency floors and vault generation: what "newer" means for the writer.
    struct Floors: Sendable, Equatable {
        let idempotency: UInt64
        let units: UInt64
        let provenance: UInt64
        let vaultGeneration: UInt64
    }

    /// A value sealed under its unit's data key as the snapshot had it.
    struct SealedHint: Sendable {
        let keyID: [UInt8]
        let combined: [UInt8]
    }

    let floors: Floors
    /// The event id's sequence number, when the snapshot already held it.
    let knownSequence: UInt64?
    /// Per ingested item, its value sealed under its unit's key, when the snapshot had one.
    let sealed: [SealedHint?]
    /// Per disclosed field, the candidates for the version sent among the snapshot's versions.
    let versions: [Projections.VersionCandidates]
}

/// Adds ``SnapshotHints`` to a batch of prepared events, on the producer's thread, in a read
/// transaction of its own for the batch. Units' keys come from the process's ``DataKeyCache`` when
/// it has them, else from the snapshot (and are remembered: they are stored keys).
final class SnapshotHinter {
    private let ledger: Ledger

    init(ledger: Ledger) { self.ledger = ledger }

    /// Hints `batch`, standing still through the writer's commits at each event (`gate`).
    func addHints(to batch: inout [NumberedLine], pausingFor gate: CommitGate? = nil) throws {
        try ledger.environment.read { txn in
            let floors = SnapshotHints.Floors(
                idempotency: try ledger.idempotency.recencyFloor(in: txn),
                units: try ledger.vault.units.recencyFloor(in: txn),
                provenance: try ledger.projections.provenance.recencyFloor(in: txn),
                vaultGeneration: try ledger.vault.generation(in: txn))
            let idempotency = try ledger.idempotency.reader(in: txn)
            let units = try ledger.vault.units.reader(in: txn)
            try AESGCMSealer.withSealer { sealer in
                var sealerKeys: [BytesKey: AESGCMSealer.Key] = [:]
                for index in batch.indices {
                    gate?.waitWhileCommitting()
                    guard case .event(var prepared) = batch[index].prepared else { continue }
                    let event = prepared.event
                    let known = try idempotency.get(event.envelope.id.bytes).flatMap { BigEndian.uint64($0) }
                    var sealed: [SnapshotHints.SealedHint?] = []
                    var versions: [Projections.VersionCandidates] = []
                    switch event.payload {
                    case .ingested(let ingestion):
                        guard let subject = event.envelope.subject else { break }
                        for (item, ingested) in ingestion.items.enumerated() {
                            let category = Vocabulary.standard.fields[ingested.field]?.category ?? ""
                            let unit = Vault.unit(subject: subject, caseID: ingestion.caseID, category: category)
                            guard
                                let key = try storedKey(
                                    unit, units: units, generation: floors.vaultGeneration, in: txn)
                            else {
                                sealed.append(nil)
                                continue
                            }
                            let sealerKey = try sealerKeys.context(forKeyID: key.id, key: key.key, in: sealer)
                            let combined = try sealer.seal(
                                prepared.plaintexts[item], key: sealerKey,
                                associatedData: Vault.valueAssociatedData(
                                    eventID: event.envelope.id, item: item, field: ingested.field, keyID: key.id))
                            sealed.append(SnapshotHints.SealedHint(keyID: key.id, combined: combined))
                        }
                    case .disclosed(let disclosure):
                        let subject = event.envelope.subject ?? ""
                        for field in disclosure.fields {
                            versions.append(
                                try ledger.projections.versionCandidates(
                                    subject: subject, field: field, caseID: disclosure.caseID, in: txn))
                        }
                    default:
                        break
                    }
                    prepared.hints = SnapshotHints(
                        floors: floors, knownSequence: known, sealed: sealed, versions: versions)
                    batch[index] = NumberedLine(number: batch[index].number, prepared: .event(prepared))
                }
            }
        }
    }

    /// The unit's data key as the snapshot has it (or the process's cache, for the same generation).
    private func storedKey(
        _ unit: [UInt8], units: RunIndexReader, generation: UInt64, in txn: Transaction
    ) throws -> (id: [UInt8], key: [UInt8])? {
        if let known = ledger.vault.cache.key(forUnit: BytesKey(unit), generation: generation) { return known }
        guard let keyID = try units.get(unit), let key = try ledger.vault.dataKey(id: keyID, in: txn) else {
            return nil
        }
        ledger.vault.cache.remember(BytesKey(unit), (keyID, key), generation: generation)
        return (keyID, key)
    }
}
