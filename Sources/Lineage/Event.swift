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
            throw Rejection(field: nil, rule: .notAnObject, message: "an event must be a JSON object")
        }
        // The id first, so that later rejections can name it.
        guard let idValue = object["id"] else {
            throw Rejection(field: "id", rule: .missingField, message: "the envelope has no id")
        }
        guard case .string(let idText) = idValue else { throw Self.wrongType("id", idValue, "a string", nil) }
        guard let id = EventID(idText) else {
            throw Rejection(
                field: "id", rule: .idNotUUID, message: "id must be a UUID written as 8-4-4-4-12 hex digits")
        }
        let named = id.description
        for key in object.keys where !Self.envelopeFields.contains(key) {
            throw Rejection(
                id: named, field: Self.printableField(key), rule: .unknownField,
                message: "the envelope allows only \(Self.envelopeFields.sorted().joined(separator: ", "))")
        }
        func required(_ field: String) throws(Rejection) -> JSONValue {
            guard let value = object[field] else {
                throw Rejection(id: named, field: field, rule: .missingField, message: "the envelope has no \(field)")
            }
            return value
        }

        let typeValue = try required("type")
        guard case .string(let type) = typeValue else { throw Self.wrongType("type", typeValue, "a string", named) }
        guard Self.isValidType(type) else {
            throw Rejection(
                id: named, field: "type", rule: .typeInvalid,
                message:
                    "type must be dotted lowercase words such as data.ingested, at most \(Self.maxTypeLength) characters"
            )
        }

        let occurredValue = try required("occurredAt")
        guard case .string(let occurredText) = occurredValue else {
            throw Self.wrongType("occurredAt", occurredValue, "a string", named)
        }
        guard let occurredAt = Timestamp(rfc3339: occurredText) else {
            throw Rejection(
                id: named, field: "occurredAt", rule: .occurredAtInvalid,
                message: "occurredAt must be an RFC 3339 date-time with a real date and a time zone")
        }

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
            throw Rejection(
                id: named, field: "schemaVersion", rule: .schemaVersionUnsupported,
                message:
                    "schemaVersion must be one of \(Self.supportedSchemaVersions.map(String.init).joined(separator: ", "))"
            )
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

    private init(
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
        let chars = Array(type.utf8)
        guard chars.count <= maxTypeLength else { return false }
        let words = chars.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard words.count >= 2 else { return false }
        return words.allSatisfy { word in
            guard let first = word.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
            return word.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || PersonalIdentityCode.isDigit($0)
                    || $0 == UInt8(ascii: "_")
            }
        }
    }

    static func checkSubject(_ subject: String, id: String) throws(Rejection) {
        guard !subject.isEmpty else {
            throw Rejection(
                id: id, field: "subject", rule: .subjectEmpty, message: "subject, when present, must not be empty")
        }
        guard subject.count <= maxSubjectLength else {
            throw Rejection(
                id: id, field: "subject", rule: .subjectTooLong,
                message: "subject must be at most \(maxSubjectLength) characters")
        }
        guard !subject.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw Rejection(
                id: id, field: "subject", rule: .subjectControlCharacter,
                message: "subject must not contain control characters")
        }
        guard !PersonalIdentityCode.containsLookalike(subject) else {
            throw Rejection(
                id: id, field: "subject", rule: .subjectPersonalIdentityCode,
                message: "subject must be an opaque person id, not a personal identity code or anything shaped like one"
            )
        }
    }

    static func wrongType(_ field: String, _ value: JSONValue, _ expected: String, _ id: String?) -> Rejection {
        Rejection(
            id: id, field: field, rule: .wrongType, message: "\(field) must be \(expected), not \(value.typeName)")
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

extension JSONObject {
    /// Replaces the value of an existing member.
    mutating func replace(_ key: String, with value: JSONValue) {
        if let index = members.firstIndex(where: { $0.key == key }) { members[index].value = value }
    }
}
