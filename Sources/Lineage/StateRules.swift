/// The rules that depend on the ledger's state (docs/EVENTS.md, "inside"), checked in the write
/// transaction before anything of the event is written.
struct StateRules {
    let projections: Projections
    let txn: Transaction
    /// Not a stored copy: the writer makes a `StateRules` per event, and copying the vocabulary's
    /// tables (and releasing them) cost about 2,000 instructions each time.
    private var vocabulary: Vocabulary { Vocabulary.standard }

    func check(_ event: DomainEvent) throws -> Rejection? {
        var parties = PartyCache()
        var sentVersions: [Projections.VersionRef] = []
        return try check(event, parties: &parties, sentVersions: &sentVersions)
    }

    /// Checks with the transaction's cache of party registrations. For an accepted disclosure,
    /// `sentVersions` receives the version of each field it sends, which the projection then
    /// records without looking them up a second time.
    func check(
        _ event: DomainEvent, parties: inout PartyCache, sentVersions: inout [Projections.VersionRef],
        hints: SnapshotHints? = nil
    ) throws -> Rejection? {
        sentVersions.removeAll(keepingCapacity: true)
        let at = event.envelope.occurredAt.microseconds
        switch event.payload {
        case .partyRegistered, .caseClosed:
            return nil
        case .caseOpened(_, let client):
            return try registered(client, "client", at: at, parties: &parties).rejection
        case .ingested(let ingestion):
            let (source, rejection) = try registered(ingestion.source, "source", at: at, parties: &parties)
            guard let source else { return rejection }
            if let index = ingestion.items.firstIndex(where: { $0.socialForceMajeure }),
                !["data_subject", "representative"].contains(source.kind)
            {
                return Rejection(
                    field: "payload.items[\(index)].field", rule: .fieldSpecialCategory,
                    message:
                        "a social force majeure is accepted only from the person or their representative, not from a \(source.kind)"
                )
            }
            return nil
        case .disclosed(let disclosure):
            let (recipient, rejection) = try registered(
                disclosure.recipient, "recipient", at: at, parties: &parties)
            guard let recipient else { return rejection }
            let subject = event.envelope.subject ?? ""
            let kind = vocabulary.partyKinds[recipient.kind]
            for (index, field) in disclosure.fields.enumerated() {
                let category = vocabulary.fields[field]?.category ?? ""
                if let kind, !kind.allows(field: field, category: category) {
                    return Rejection(
                        field: "payload.fields[\(index)]", rule: .disclosureCategoryNotAllowed,
                        message: "a \(recipient.kind) may not receive \(field) (category \(category))")
                }
                // The snapshot's candidates, when hinted, beside those stored since; else all of them.
                let version: Projections.VersionRef?
                if let hints, index < hints.versions.count {
                    version = try projections.versionCandidates(
                        subject: subject, field: field, caseID: disclosure.caseID, in: txn,
                        newerThan: hints.floors.provenance
                    ).combined(with: hints.versions[index]).sent
                } else {
                    version = try projections.currentVersion(
                        subject: subject, field: field, caseID: disclosure.caseID, in: txn)
                }
                guard let version else {
                    return Rejection(
                        field: "payload.fields[\(index)]", rule: .disclosureNoLiveValue,
                        message: "the subject has no live value for \(field) to disclose")
                }
                sentVersions.append(version)
            }
            let day = Day.of(microseconds: at)
            if !vocabulary.isInEEA(recipient.country, day: day)
                && !vocabulary.hasAdequacy(recipient.country, certifications: Set(recipient.certifications), day: day)
                && disclosure.safeguard == nil
            {
                return Rejection(
                    field: "payload.safeguard", rule: .transferNoSafeguard,
                    message:
                        "\(recipient.party) is in \(recipient.country), outside the EEA with no adequacy decision in force for it on that date; a transfer needs a safeguard"
                )
            }
            return nil
        }
    }

    private func registered(_ party: String, _ role: String, at micros: Int64, parties: inout PartyCache) throws -> (
        PartyRegistration?, rejection: Rejection?
    ) {
        if let registration = try parties.party(party, at: micros, projections: projections, in: txn) {
            return (registration, nil)
        }
        return (
            nil,
            Rejection(
                field: "payload.\(role)", rule: .partyNotRegistered,
                message: "party \(party) is not registered at the event's time")
        )
    }
}
