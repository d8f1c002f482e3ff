/// An event's payload, typed: what the five event types of docs/EVENTS.md carry.
public enum DomainPayload: Sendable, Equatable {
    case partyRegistered(PartyRegistration)
    case caseOpened(caseID: String, client: String)
    case caseClosed(caseID: String, reason: String?)
    case ingested(Ingestion)
    case disclosed(Disclosure)
}

public struct PartyRegistration: Sendable, Equatable {
    public let party: String
    public let kind: String
    public let name: String
    public let country: String
    public let certifications: [String]
}

/// One received datum. `value` is present as received; in a stored event it is replaced by the index
/// of its sealed box (`sealed`), and opened only on demand.
public struct IngestedItem: Sendable, Equatable {
    public let field: String
    public let value: JSONValue?
    public let sealed: Int?
    public let socialForceMajeure: Bool
}

public struct Ingestion: Sendable, Equatable {
    public let caseID: String?
    public let source: String
    public let items: [IngestedItem]
    public let legalBasis: String
    public let purpose: String
    public let sourceReference: String?
}

public struct Safeguard: Sendable, Equatable {
    public let type: String
    public let reference: String
}

public struct Disclosure: Sendable, Equatable {
    public let caseID: String?
    public let recipient: String
    public let fields: [String]
    public let legalBasis: String
    public let purpose: String
    public let channel: String
    public let safeguard: Safeguard?
}

/// An envelope whose payload has been checked against the vocabulary: every rule of docs/EVENTS.md
/// that needs only the event itself.
public struct DomainEvent: Sendable {
    public static let types = ["party.registered", "case.opened", "case.closed", "data.ingested", "data.disclosed"]
    public static let channels: Set<String> = [
        "letter", "email", "api", "file_transfer", "portal", "phone", "court_filing",
    ]
    static let maxItems = 100
    static let maxIdentifierLength = 64

    public let envelope: Event
    public let payload: DomainPayload

    /// The same event with its envelope slimmed (``Event/slimmed()``): for the write transaction, once
    /// the preparer has derived everything it needed from the JSON.
    func slimmed() -> DomainEvent { DomainEvent(unchecked: envelope.slimmed(), payload: payload) }

    private init(unchecked envelope: Event, payload: DomainPayload) {
        self.envelope = envelope
        self.payload = payload
    }

    /// Checks a received event. `stored` is true for an event read back from a record, whose values
    /// are replaced by sealed-box indexes.
    public init(_ envelope: Event, vocabulary: Vocabulary = .standard, stored: Bool = false) throws(Rejection) {
        self.envelope = envelope
        var reader = PayloadReader(object: envelope.payload, id: envelope.id.description)
        let needsSubject = envelope.type != "party.registered"
        guard DomainEvent.types.contains(envelope.type) else {
            throw reader.reject(
                "type", .typeUnknown, "type must be one of \(DomainEvent.types.joined(separator: ", "))", root: true)
        }
        if needsSubject && envelope.subject == nil {
            throw reader.reject(
                "subject", .subjectRequired, "a \(envelope.type) event must name its subject", root: true)
        }
        if !needsSubject && envelope.subject != nil {
            throw reader.reject(
                "subject", .subjectNotAllowed, "a party.registered event is about no person", root: true)
        }
        switch envelope.type {
        case "party.registered":
            let party = try reader.identifier("party")
            let kind = try reader.string("kind")
            guard vocabulary.partyKinds[kind] != nil else {
                throw reader.reject("kind", .partyKindUnknown, "kind must be a party kind of the vocabulary")
            }
            let name = try reader.string("name")
            let country = try reader.string("country")
            guard Countries.iso3166.contains(country) else {
                throw reader.reject("country", .countryUnknown, "country must be an ISO 3166-1 alpha-2 code")
            }
            let certifications = try reader.optionalStrings("certifications") ?? []
            payload = .partyRegistered(
                PartyRegistration(
                    party: party, kind: kind, name: name, country: country, certifications: certifications))
        case "case.opened":
            payload = .caseOpened(caseID: try reader.identifier("case"), client: try reader.identifier("client"))
        case "case.closed":
            payload = .caseClosed(caseID: try reader.identifier("case"), reason: try reader.optionalString("reason"))
        case "data.ingested":
            let caseID = try reader.optionalIdentifier("case")
            let source = try reader.identifier("source")
            let items = try reader.items(vocabulary: vocabulary, stored: stored)
            let (legalBasis, purpose) = try reader.basisAndPurpose(vocabulary)
            payload = .ingested(
                Ingestion(
                    caseID: caseID, source: source, items: items, legalBasis: legalBasis, purpose: purpose,
                    sourceReference: try reader.optionalIdentifier("sourceReference")))
        default:
            let caseID = try reader.optionalIdentifier("case")
            let recipient = try reader.identifier("recipient")
            let fields = try reader.fieldList(vocabulary)
            let (legalBasis, purpose) = try reader.basisAndPurpose(vocabulary)
            let channel = try reader.string("channel")
            guard Self.channels.contains(channel) else {
                throw reader.reject(
                    "channel", .channelUnknown,
                    "channel must be one of \(Self.channels.sorted().joined(separator: ", "))")
            }
            payload = .disclosed(
                Disclosure(
                    caseID: caseID, recipient: recipient, fields: fields, legalBasis: legalBasis, purpose: purpose,
                    channel: channel, safeguard: try reader.safeguard(vocabulary)))
        }
        try reader.rejectUnread()
    }
}

/// Reads payload members, remembering which were read so that any other member is refused.
private struct PayloadReader {
    let object: JSONObject
    let id: String
    var read: Set<String> = []

    init(object: JSONObject, id: String) {
        self.object = object
        self.id = id
    }

    func reject(_ field: String, _ rule: Rule, _ message: String, root: Bool = false) -> Rejection {
        Rejection(id: id, field: root ? field : "payload.\(field)", rule: rule, message: message)
    }

    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        return object[key]
    }

    mutating func required(_ key: String) throws(Rejection) -> JSONValue {
        guard let value = value(key) else {
            throw reject(key, .payloadMissingField, "the payload has no \(key)")
        }
        return value
    }

    mutating func string(_ key: String) throws(Rejection) -> String {
        let value = try required(key)
        guard case .string(let text) = value, !text.isEmpty, text.count <= 1_000 else {
            throw reject(key, .payloadWrongType, "\(key) must be a string of 1 to 1,000 characters")
        }
        return text
    }

    mutating func optionalString(_ key: String) throws(Rejection) -> String? {
        object[key] == nil ? nil : try string(key)
    }

    mutating func identifier(_ key: String) throws(Rejection) -> String {
        let text = try string(key)
        guard Self.isIdentifier(text) else {
            throw reject(
                key, .payloadWrongType,
                "\(key) must be an identifier of 1 to \(DomainEvent.maxIdentifierLength) printable characters")
        }
        if PersonalIdentityCode.containsLookalike(text) {
            throw reject(key, .identifierPersonalIdentityCode, "\(key) must not be or contain a personal identity code")
        }
        return text
    }

    static func isIdentifier(_ text: String) -> Bool {
        (1...DomainEvent.maxIdentifierLength).contains(text.count)
            && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7f }
    }

    mutating func optionalIdentifier(_ key: String) throws(Rejection) -> String? {
        object[key] == nil ? nil : try identifier(key)
    }

    mutating func optionalStrings(_ key: String) throws(Rejection) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else {
            throw reject(key, .payloadWrongType, "\(key) must be an array of strings")
        }
        return try elements.map { element throws(Rejection) in
            guard case .string(let text) = element, Self.isIdentifier(text) else {
                throw reject(key, .payloadWrongType, "\(key) must be an array of identifiers")
            }
            return text
        }
    }

    mutating func basisAndPurpose(_ vocabulary: Vocabulary) throws(Rejection) -> (String, String) {
        let legalBasis = try string("legalBasis")
        guard vocabulary.legalBases.contains(legalBasis) else {
            throw reject(
                "legalBasis", .legalBasisUnknown,
                "legalBasis must be one of \(vocabulary.legalBases.sorted().joined(separator: ", "))")
        }
        let purpose = try string("purpose")
        guard vocabulary.purposes.contains(purpose) else {
            throw reject("purpose", .purposeUnknown, "purpose must be a purpose of the vocabulary")
        }
        return (legalBasis, purpose)
    }

    mutating func items(vocabulary: Vocabulary, stored: Bool) throws(Rejection) -> [IngestedItem] {
        guard case .array(let elements) = try required("items"), (1...DomainEvent.maxItems).contains(elements.count)
        else {
            throw reject("items", .payloadWrongType, "items must be an array of 1 to \(DomainEvent.maxItems) objects")
        }
        var items: [IngestedItem] = []
        for (index, element) in elements.enumerated() {
            let path = "items[\(index)]"
            guard case .object(let item) = element else {
                throw reject(path, .payloadWrongType, "\(path) must be an object")
            }
            let valueKey = stored ? "sealed" : "value"
            for key in item.keys where !["field", valueKey, "socialForceMajeure"].contains(key) {
                throw reject(
                    "\(path).\(Event.printableField(key))", .payloadUnknownField,
                    "an item has only field, value and socialForceMajeure")
            }
            guard case .string(let field) = item["field"] else {
                throw reject(
                    "\(path).field", item["field"] == nil ? .payloadMissingField : .payloadWrongType,
                    "\(path) needs a field name")
            }
            guard let definition = vocabulary.fields[field] else {
                throw reject("\(path).field", .fieldUnknown, "the field is not in the vocabulary")
            }
            var socialForceMajeure = false
            if let flag = item["socialForceMajeure"] {
                guard case .bool(let set) = flag else {
                    throw reject(
                        "\(path).socialForceMajeure", .payloadWrongType, "socialForceMajeure must be true or false")
                }
                socialForceMajeure = set
            }
            if definition.special && !(field == "social_force_majeure" && socialForceMajeure) {
                throw reject(
                    "\(path).field", .fieldSpecialCategory,
                    "special categories of data are refused, except a social force majeure the person gave, flagged socialForceMajeure: true"
                )
            }
            guard let value = item[valueKey] else {
                throw reject("\(path).\(valueKey)", .payloadMissingField, "\(path) has no \(valueKey)")
            }
            if stored {
                guard case .number(let spelling) = value, let sealed = Int(spelling) else {
                    throw reject("\(path).sealed", .payloadWrongType, "a stored item refers to its sealed box by index")
                }
                items.append(
                    IngestedItem(field: field, value: nil, sealed: sealed, socialForceMajeure: socialForceMajeure))
                continue
            }
            guard definition.type.accepts(value) else {
                if definition.type == .personalIdentityCode, case .string = value {
                    throw reject(
                        "\(path).value", .personalIdentityCodeInvalid,
                        "the value is not a valid Finnish or Swedish personal identity code (format, century sign, date, check character)"
                    )
                }
                throw reject("\(path).value", .fieldWrongType, "\(field) must be \(definition.type.expectation)")
            }
            items.append(IngestedItem(field: field, value: value, sealed: nil, socialForceMajeure: socialForceMajeure))
        }
        return items
    }

    mutating func fieldList(_ vocabulary: Vocabulary) throws(Rejection) -> [String] {
        guard case .array(let elements) = try required("fields"), (1...DomainEvent.maxItems).contains(elements.count)
        else {
            throw reject(
                "fields", .payloadWrongType, "fields must be an array of 1 to \(DomainEvent.maxItems) field names")
        }
        var fields: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let field) = element else {
                throw reject("fields[\(index)]", .payloadWrongType, "fields must be field names")
            }
            guard vocabulary.fields[field] != nil else {
                throw reject("fields[\(index)]", .fieldUnknown, "the field is not in the vocabulary")
            }
            guard !fields.contains(field) else {
                throw reject("fields[\(index)]", .fieldRepeated, "a disclosure names each field once")
            }
            fields.append(field)
        }
        return fields
    }

    mutating func safeguard(_ vocabulary: Vocabulary) throws(Rejection) -> Safeguard? {
        guard let value = value("safeguard") else { return nil }
        guard case .object(let object) = value, case .string(let type) = object["type"],
            vocabulary.safeguards.contains(type), case .string(let reference) = object["reference"],
            Self.isIdentifier(reference), object.keys.count == 2
        else {
            throw reject(
                "safeguard", .safeguardInvalid,
                "safeguard must be {\"type\": one of \(vocabulary.safeguards.sorted().joined(separator: ", ")), \"reference\": an identifier}"
            )
        }
        return Safeguard(type: type, reference: reference)
    }

    func rejectUnread() throws(Rejection) {
        for key in object.keys where !read.contains(key) {
            throw reject(Event.printableField(key), .payloadUnknownField, "the payload has no member of that name")
        }
    }
}
