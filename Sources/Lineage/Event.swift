/// One event as the ledger accepts it: the envelope checked, the payload an object, and the canonical
/// bytes (``CanonicalJSON``) that the record stores and the idempotency digest covers.
public struct Event: Sendable {
    /// The envelope's members, and the only ones allowed.
    public static let envelopeFields: Set<String> = ["id", "type", "occurredAt", "subject", "schemaVersion", "payload"]
    public static let supportedSchemaVersions: ClosedRange<Int> = 1...1
    public static let maxSubjectLength = 64
    public static let maxTypeLength = 64

    public let id: EventID
    public let type: String
    public let occurredAt: Timestamp
    /// The opaque person id assigned by the feeding system; `nil` for events about no one.
    public let subject: String?
    public let schemaVersion: Int
    public let payload: JSONObject
    /// The canonical JSON of the whole envelope, the id in lowercase.
    public let canonical: [UInt8]
    /// The same as a parsed object, so that the stored form can be derived without parsing again.
    let canonicalObject: JSONObject

    /// Checks the envelope of a parsed JSON value. Throws a ``Rejection`` (without a line number)
    /// naming the field and rule.
    public init(validating value: JSONValue) throws(Rejection) {
        guard case .object(let object) = value else {
            throw Refusal.notAnObject
        }
        // The id first, so that later rejections can name it.
        guard let idValue = object["id"] else { throw Refusal.missing("id", id: nil) }
        guard case .string(let idText) = idValue else { throw Self.wrongType("id", idValue, "a string", nil) }
        guard let id = EventID(idText) else { throw Refusal.idNotUUID }
        let named = id.description
        for key in object.keys where !Self.envelopeFields.contains(key) {
            throw Refusal.unknownMember(key, id: named)
        }
        func required(_ field: String) throws(Rejection) -> JSONValue {
            guard let value = object[field] else { throw Refusal.missing(field, id: named) }
            return value
        }

        let typeValue = try required("type")
        guard case .string(let type) = typeValue else { throw Self.wrongType("type", typeValue, "a string", named) }
        guard Self.isValidType(type) else { throw Refusal.typeInvalid(id: named) }

        let occurredValue = try required("occurredAt")
        guard case .string(let occurredText) = occurredValue else {
            throw Self.wrongType("occurredAt", occurredValue, "a string", named)
        }
        guard let occurredAt = Timestamp(rfc3339: occurredText) else { throw Refusal.occurredAtInvalid(id: named) }

        var subject: String?
        if let subjectValue = object["subject"] {
            guard case .string(let text) = subjectValue else {
                throw Self.wrongType("subject", subjectValue, "a string", named)
            }
            try Self.checkSubject(text, id: named)
            subject = text
        }

        let versionValue = try required("schemaVersion")
        guard case .number(let versionText) = versionValue else {
            throw Self.wrongType("schemaVersion", versionValue, "an integer", named)
        }
        guard let version = Int(versionText), Self.supportedSchemaVersions.contains(version) else {
            throw Refusal.schemaVersionUnsupported(id: named)
        }

        let payloadValue = try required("payload")
        guard case .object(let payload) = payloadValue else {
            throw Self.wrongType("payload", payloadValue, "an object", named)
        }

        var canonicalObject = object
        canonicalObject.replace("id", with: .string(named))
        self.id = id
        self.type = type
        self.occurredAt = occurredAt
        self.subject = subject
        self.schemaVersion = version
        self.payload = payload
        self.canonical = CanonicalJSON.encode(.object(canonicalObject))
        self.canonicalObject = canonicalObject
    }

    /// An envelope checked elsewhere (``EventReader``, on a tape), without its JSON.
    init(
        id: EventID, type: String, occurredAt: Timestamp, subject: String?, schemaVersion: Int, payload: JSONObject,
        canonical: [UInt8], canonicalObject: JSONObject
    ) {
        self.id = id
        self.type = type
        self.occurredAt = occurredAt
        self.subject = subject
        self.schemaVersion = schemaVersion
        self.payload = payload
        self.canonical = canonical
        self.canonicalObject = canonicalObject
    }

    /// The envelope without its parsed payload, canonical bytes and canonical object. The preparer
    /// hands this to the writer: the JSON trees are then freed on the producer thread instead of
    /// costing the single writer thread their deallocation (8% of it, measured).
    func slimmed() -> Event {
        Event(
            id: id, type: type, occurredAt: occurredAt, subject: subject, schemaVersion: schemaVersion,
            payload: JSONObject.empty, canonical: [], canonicalObject: JSONObject.empty)
    }

    static func isValidType(_ type: String) -> Bool {
        var type = type
        return type.withUTF8 { isValidType(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// ``isValidType(_:)`` of the type's UTF-8: two or more words joined by dots, each a lowercase
    /// letter followed by lowercase letters, digits and underscores.
    static func isValidType(utf8 chars: UnsafeRawBufferPointer) -> Bool {
        guard chars.count <= maxTypeLength else { return false }
        var words = 1
        var wordStart = true
        for byte in chars {
            if byte == UInt8(ascii: ".") {
                guard !wordStart else { return false }
                words += 1
                wordStart = true
            } else if wordStart {
                guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) else { return false }
                wordStart = false
            } else {
                guard
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || PersonalIdentityCode.isDigit(byte)
                        || byte == UInt8(ascii: "_")
                else { return false }
            }
        }
        return words >= 2 && !wordStart
    }

    static func checkSubject(_ subject: String, id: String) throws(Rejection) {
        var subject = subject
        if var refusal = subject.withUTF8({ subjectRefusal(utf8: UnsafeRawBufferPointer($0)) }) {
            refusal.id = id
            throw refusal
        }
    }

    /// Why a subject, as UTF-8, is refused (without the event's id), or nil.
    static func subjectRefusal(utf8 subject: UnsafeRawBufferPointer) -> Rejection? {
        guard !subject.isEmpty else {
            return Rejection(field: "subject", rule: .subjectEmpty, message: "subject, when present, must not be empty")
        }
        // A character is at least a byte: only a long text needs counting as `String` counts.
        guard subject.count <= maxSubjectLength || String(decoding: subject, as: UTF8.self).count <= maxSubjectLength
        else {
            return Rejection(
                field: "subject", rule: .subjectTooLong,
                message: "subject must be at most \(maxSubjectLength) characters")
        }
        // Below U+0080 a scalar is one byte, and every byte of a longer one is 0x80 or more.
        guard !subject.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            return Rejection(
                field: "subject", rule: .subjectControlCharacter, message: "subject must not contain control characters"
            )
        }
        guard !PersonalIdentityCode.containsLookalike(utf8: subject) else {
            return Rejection(
                field: "subject", rule: .subjectPersonalIdentityCode,
                message: "subject must be an opaque person id, not a personal identity code or anything shaped like one"
            )
        }
        return nil
    }

    static func wrongType(_ field: String, _ value: JSONValue, _ expected: String, _ id: String?) -> Rejection {
        Refusal.wrongType(field, typeName: value.typeName, expected, id: id)
    }

    /// A member name fit to repeat in a diagnostic. Names are schema, not data, but an unknown one
    /// could be anything (even an identity code used as a key), so only identifier-shaped names are
    /// repeated.
    static func printableField(_ key: String) -> String {
        let chars = Array(key.utf8)
        let identifierShaped =
            (1...40).contains(chars.count)
            && chars.allSatisfy {
                $0 == UInt8(ascii: "_") || PersonalIdentityCode.isDigit($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20)
            }
            && !PersonalIdentityCode.isDigit(chars[0])
        return identifierShaped ? key : "(a member whose name is not shown)"
    }
}

extension Event {
    /// The envelope's rejections, shared by its two readers (``Event/init(validating:)`` on a tree,
    /// ``EventReader`` on a tape) so that both say exactly the same.
    enum Refusal {
        static let notAnObject = Rejection(field: nil, rule: .notAnObject, message: "an event must be a JSON object")
        static let idNotUUID = Rejection(
            field: "id", rule: .idNotUUID, message: "id must be a UUID written as 8-4-4-4-12 hex digits")

        static func missing(_ field: String, id: String?) -> Rejection {
            Rejection(id: id, field: field, rule: .missingField, message: "the envelope has no \(field)")
        }

        static func wrongType(_ field: String, typeName: String, _ expected: String, id: String?) -> Rejection {
            Rejection(id: id, field: field, rule: .wrongType, message: "\(field) must be \(expected), not \(typeName)")
        }

        static func unknownMember(_ key: String, id: String) -> Rejection {
            Rejection(
                id: id, field: printableField(key), rule: .unknownField,
                message: "the envelope allows only \(envelopeFields.sorted().joined(separator: ", "))")
        }

        static func typeInvalid(id: String) -> Rejection {
            Rejection(
                id: id, field: "type", rule: .typeInvalid,
                message:
                    "type must be dotted lowercase words such as data.ingested, at most \(maxTypeLength) characters")
        }

        static func occurredAtInvalid(id: String) -> Rejection {
            Rejection(
                id: id, field: "occurredAt", rule: .occurredAtInvalid,
                message: "occurredAt must be an RFC 3339 date-time with a real date and a time zone")
        }

        static func schemaVersionUnsupported(id: String) -> Rejection {
            Rejection(
                id: id, field: "schemaVersion", rule: .schemaVersionUnsupported,
                message:
                    "schemaVersion must be one of \(supportedSchemaVersions.map(String.init).joined(separator: ", "))")
        }
    }
}

extension JSONObject {
    /// Replaces the value of an existing member.
    mutating func replace(_ key: String, with value: JSONValue) {
        if let index = members.firstIndex(where: { $0.key == key }) { members[index].value = value }
    }
}
