/// An input line turned into what the write transaction needs, or the reason it was refused.
public enum PreparedLine: Sendable {
    case event(PreparedEvent)
    case rejected(Rejection)
}

/// An accepted event with everything computed that needs only the event and the keys, so the
/// writer (which holds the one write transaction) does only what needs the ledger's state.
public struct PreparedEvent: Sendable {
    /// The event, slimmed: its JSON is no longer needed once the fields below are derived.
    let event: DomainEvent
    /// The canonical form as stored: each ingested value replaced by its sealed box's index.
    let storedCanonical: [UInt8]
    /// Per ingested item: the canonical JSON of its value, the plaintext to seal.
    let plaintexts: [[UInt8]]
    /// Per ingested item: its identity-index key, when it is a personal identity code.
    let identityDigests: [Digest?]
}

/// The checks that need only the event itself, run before (and outside) the write transaction:
/// parsing, the envelope rules, the canonical and stored forms, the identity-index digests. One
/// preparer belongs to one thread (its HMAC context is not shared).
public final class EventPreparer {
    /// Lines longer than this are refused without being parsed.
    public static let maxLineBytes = 1 << 20
    private let identityIndex: HMACSHA256

    public init(keys: LedgerKeys) throws {
        identityIndex = try HMACSHA256(key: keys.identityIndexKey)
    }

    /// Prepares one NDJSON line (without its newline) numbered `line` (1-based).
    public func prepare(_ bytes: ArraySlice<UInt8>, line: Int) -> PreparedLine {
        var bytes = bytes
        if bytes.last == 0x0d { bytes.removeLast() }
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) else {
            return .rejected(Rejection(line: line, field: nil, rule: .emptyLine, message: "the line is empty"))
        }
        guard bytes.count <= Self.maxLineBytes else {
            return .rejected(
                Rejection(
                    line: line, field: nil, rule: .lineTooLong,
                    message: "the line is longer than \(Self.maxLineBytes) bytes"))
        }
        do {
            let value = try bytes.withUnsafeBytes { buffer throws(JSONSyntaxError) in try JSONParser.parse(buffer) }
            let event = try DomainEvent(try Event(validating: value))
            return .event(try prepared(event))
        } catch let error as JSONSyntaxError {
            return .rejected(
                Rejection(
                    line: line, field: nil, rule: Rule(error.kind),
                    message: "\(error.detail) at byte \(error.offset + 1)"))
        } catch var rejection as Rejection {
            rejection.line = line
            return .rejected(rejection)
        } catch {
            return .rejected(Rejection(line: line, field: nil, rule: .invalidJSON, message: "\(error)"))
        }
    }

    private func prepared(_ event: DomainEvent) throws -> PreparedEvent {
        guard case .ingested(let ingestion) = event.payload, event.envelope.subject != nil else {
            return PreparedEvent(
                event: event.slimmed(), storedCanonical: event.envelope.canonical, plaintexts: [], identityDigests: [])
        }
        let vocabulary = Vocabulary.standard
        var storedItems: [JSONValue] = []
        var plaintexts: [[UInt8]] = []
        var identityDigests: [Digest?] = []
        for (index, item) in ingestion.items.enumerated() {
            storedItems.append(
                StoredForm.item(field: item.field, sealed: index, socialForceMajeure: item.socialForceMajeure))
            plaintexts.append(CanonicalJSON.encode(item.value ?? .null))
            let isIdentityCode = vocabulary.fields[item.field]?.type == .personalIdentityCode
            identityDigests.append(
                isIdentityCode ? try item.value.flatMap { try IdentityIndex.digest(of: $0, using: identityIndex) } : nil)
        }
        return PreparedEvent(
            event: event.slimmed(),
            storedCanonical: StoredForm.replacingItems(of: event.envelope, with: storedItems), plaintexts: plaintexts,
            identityDigests: identityDigests)
    }
}
