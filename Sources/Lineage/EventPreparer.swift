/// An input line turned into what the write transaction needs, or the reason it was refused.
public enum PreparedLine: Sendable {
    case event(DomainEvent, digest: Digest)
    case rejected(Rejection)
}

/// The checks that need only the event itself, run before (and outside) the write transaction:
/// parsing, the envelope rules, the canonical form and its keyed digest. One preparer belongs to one
/// thread (its HMAC context is not shared).
public final class EventPreparer {
    /// Lines longer than this are refused without being parsed.
    public static let maxLineBytes = 1 << 20
    private let idempotency: HMACSHA256

    public init(keys: LedgerKeys) throws {
        idempotency = try HMACSHA256(key: keys.idempotencyKey)
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
            return .event(event, digest: try idempotency.authenticate(event.envelope.canonical))
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

    /// The keyed digest of an event's canonical form, as the idempotency database stores it.
    public func digest(of canonical: [UInt8]) throws -> Digest {
        try idempotency.authenticate(canonical)
    }
}
