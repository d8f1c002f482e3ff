/// An input line turned into what the write transaction needs, or the reason it was refused.
public enum PreparedLine: Sendable {
    case event(PreparedEvent)
    case rejected(Rejection)
}

/// An accepted event with everything computed that needs only the event and the keys, so the
/// writer (which holds the one write transaction) does only what needs the ledger's state.
public struct PreparedEvent: Sendable {
    /// What the preparer derived, behind one reference: a prepared event is copied as a batch is
    /// handed to the writer and read there, and copying its two dozen references one by one (a
    /// retain each, and a release) was a twentieth of the import's writer.
    private final class Derived: Sendable {
        let event: DomainEvent
        let storedCanonical: [UInt8]
        let plaintexts: [[UInt8]]
        let identityDigests: [Digest?]

        init(event: DomainEvent, storedCanonical: [UInt8], plaintexts: [[UInt8]], identityDigests: [Digest?]) {
            self.event = event
            self.storedCanonical = storedCanonical
            self.plaintexts = plaintexts
            self.identityDigests = identityDigests
        }
    }

    private let derived: Derived
    /// The event, slimmed: its JSON is no longer needed once the fields below are derived.
    var event: DomainEvent { _read { yield derived.event } }
    /// The canonical form as stored: each ingested value replaced by its sealed box's index.
    var storedCanonical: [UInt8] { _read { yield derived.storedCanonical } }
    /// Per ingested item: the canonical JSON of its value, the plaintext to seal.
    var plaintexts: [[UInt8]] { _read { yield derived.plaintexts } }
    /// Per ingested item: its identity-index key, when it is a personal identity code.
    var identityDigests: [Digest?] { _read { yield derived.identityDigests } }
    /// What the import's producer found for the event in a snapshot, when it looked (``SnapshotHints``).
    var hints: SnapshotHints? = nil

    init(event: DomainEvent, storedCanonical: [UInt8], plaintexts: [[UInt8]], identityDigests: [Digest?]) {
        derived = Derived(
            event: event, storedCanonical: storedCanonical, plaintexts: plaintexts, identityDigests: identityDigests)
    }
}

/// The checks that need only the event itself, run before (and outside) the write transaction:
/// parsing, the envelope rules, the canonical and stored forms, the identity-index digests. One
/// preparer belongs to one thread (its HMAC context and its buffers are not shared).
///
/// A line is parsed into a ``JSONTape`` and checked by an ``EventReader``, both reused line after
/// line; the canonical form is written once (``CanonicalTapeWriter``) and the stored form and the
/// plaintexts are cut out of it. The tree path (``JSONParser``, ``Event/init(validating:)``,
/// ``DomainEvent/init(_:vocabulary:stored:)``) reads stored events, and `TapeDifferentialTests` holds
/// this path to it.
public final class EventPreparer {
    /// Lines longer than this are refused without being parsed.
    public static let maxLineBytes = 1 << 20
    private let identityIndex: HMACSHA256
    private var tape = JSONTape()
    private var reader = EventReader(vocabulary: .standard)
    private var writer = CanonicalTapeWriter()

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
        return bytes.withUnsafeBytes { input in
            do throws(JSONSyntaxError) {
                try tape.parse(input)
            } catch {
                return .rejected(
                    Rejection(
                        line: line, field: nil, rule: Rule(error.kind),
                        message: "\(error.detail) at byte \(error.offset + 1)"))
            }
            return tape.withDocument(input) { document in
                do {
                    let event = try reader.read(document)
                    return .event(try prepared(event, in: document))
                } catch var rejection as Rejection {
                    rejection.line = line
                    return .rejected(rejection)
                } catch {
                    return .rejected(Rejection(line: line, field: nil, rule: .invalidJSON, message: "\(error)"))
                }
            }
        }
    }

    /// Everything the writer needs, from the checked event and its tape.
    private func prepared(_ event: DomainEvent, in document: JSONDocument) throws -> PreparedEvent {
        writer.write(document)
        // A valid id is 36 ASCII bytes however it was written: lowered in place, it is the id's spelling.
        writer.lowercaseASCII(reader.idNode)
        return try writer.withBytes { canonical in
            guard case .ingested(let ingestion) = event.payload, event.envelope.subject != nil,
                let itemsNode = reader.itemsNode
            else {
                return PreparedEvent(
                    event: event, storedCanonical: Array(canonical), plaintexts: [],
                    identityDigests: [])
            }
            var plaintexts: [[UInt8]] = []
            var identityDigests: [Digest?] = []
            plaintexts.reserveCapacity(ingestion.items.count)
            identityDigests.reserveCapacity(ingestion.items.count)
            for (item, value) in zip(ingestion.items, reader.itemValues) {
                plaintexts.append(Array(UnsafeRawBufferPointer(rebasing: canonical[writer.span(of: value.node)])))
                identityDigests.append(
                    value.type == .personalIdentityCode ? try identityDigest(of: value.node, item, in: document) : nil)
            }
            return PreparedEvent(
                event: event,
                storedCanonical: Self.storedForm(canonical, items: writer.span(of: itemsNode), ingestion.items),
                plaintexts: plaintexts, identityDigests: identityDigests)
        }
    }

    /// The identity-index key of an identity-code value (``IdentityIndex/digest(of:using:)``).
    private func identityDigest(of node: Int, _ item: IngestedItem, in document: JSONDocument) throws -> Digest? {
        guard document.isASCII(node) else {
            return try item.value.flatMap { try IdentityIndex.digest(of: $0, using: identityIndex) }
        }
        return try PersonalIdentityCode.normalised(ascii: document.bytes(node)).map {
            try identityIndex.authenticate($0)
        }
    }

    /// The canonical form with `payload.items` (at `span`) replaced as ``StoredForm`` replaces it: item
    /// i becomes `{"field":…,"sealed":i}`, plus `"socialForceMajeure":true` when flagged.
    private static func storedForm(
        _ canonical: UnsafeRawBufferPointer, items span: Range<Int>, _ items: [IngestedItem]
    ) -> [UInt8] {
        func append(_ literal: StaticString, to stored: inout [UInt8]) {
            stored.append(
                contentsOf: UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }
        var stored: [UInt8] = []
        stored.reserveCapacity(canonical.count - span.count + 64 * items.count)
        canonical.withUnsafeBytes {
            stored.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[..<span.lowerBound]))
        }
        stored.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            append(index == 0 ? #"{"field":"# : #",{"field":"#, to: &stored)
            CanonicalJSON.writeString(item.field, into: &stored)
            append(#","sealed":"#, to: &stored)
            let digits = stored.count
            var rest = index
            repeat {
                stored.append(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            stored[digits...].reverse()
            append(item.socialForceMajeure ? #","socialForceMajeure":true}"# : "}", to: &stored)
        }
        stored.append(UInt8(ascii: "]"))
        canonical.withUnsafeBytes {
            stored.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[span.upperBound...]))
        }
        return stored
    }
}
