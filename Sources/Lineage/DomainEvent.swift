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
    static let channelIndex = NameIndex(channels)
    static let maxItems = 100
    static let maxIdentifierLength = 64

    /// Whether UTF-8 text is an identifier: 1 to 64 characters, none of them a space or a control
    /// character. Below U+0080 a scalar is one byte, and every byte of a longer one is 0x80 or more.
    static func isIdentifier(utf8 text: UnsafeRawBufferPointer) -> Bool {
        ValueType.hasCharacters(text, atMost: maxIdentifierLength) && text.allSatisfy { $0 > 0x20 && $0 != 0x7f }
    }

    public let envelope: Event
    public let payload: DomainPayload

    /// The same event with its envelope slimmed (``Event/slimmed()``): for the write transaction, once
    /// the preparer has derived everything it needed from the JSON.
    func slimmed() -> DomainEvent { DomainEvent(unchecked: envelope.slimmed(), payload: payload) }

    /// An event checked elsewhere (``EventReader``, on a tape).
    init(unchecked envelope: Event, payload: DomainPayload) {
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
            throw reader.reject(.typeUnknown)
        }
        if needsSubject && envelope.subject == nil {
            throw reader.reject(.subjectRequired(type: envelope.type))
        }
        if !needsSubject && envelope.subject != nil {
            throw reader.reject(.subjectNotAllowed)
        }
        switch envelope.type {
        case "party.registered":
            let party = try reader.identifier("party")
            let kind = try reader.string("kind")
            guard vocabulary.partyKinds[kind] != nil else {
                throw reader.reject(.partyKindUnknown)
            }
            let name = try reader.string("name")
            let country = try reader.string("country")
            guard Countries.iso3166.contains(country) else {
                throw reader.reject(.countryUnknown)
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
                throw reader.reject(.channelUnknown)
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

    func reject(_ refusal: PayloadRefusal) -> Rejection { refusal.rejection(id: id) }

    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        return object[key]
    }

    mutating func required(_ key: String) throws(Rejection) -> JSONValue {
        guard let value = value(key) else {
            throw reject(.missing(key))
        }
        return value
    }

    mutating func string(_ key: String) throws(Rejection) -> String {
        let value = try required(key)
        guard case .string(let text) = value, !text.isEmpty, text.count <= 1_000 else {
            throw reject(.notAString(key))
        }
        return text
    }

    mutating func optionalString(_ key: String) throws(Rejection) -> String? {
        object[key] == nil ? nil : try string(key)
    }

    mutating func identifier(_ key: String) throws(Rejection) -> String {
        let text = try string(key)
        guard Self.isIdentifier(text) else {
            throw reject(.notAnIdentifier(key))
        }
        if PersonalIdentityCode.containsLookalike(text) {
            throw reject(.identifierLooksLikeCode(key))
        }
        return text
    }

    static func isIdentifier(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { DomainEvent.isIdentifier(utf8: UnsafeRawBufferPointer($0)) }
    }

    mutating func optionalIdentifier(_ key: String) throws(Rejection) -> String? {
        object[key] == nil ? nil : try identifier(key)
    }

    mutating func optionalStrings(_ key: String) throws(Rejection) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else {
            throw reject(.notAnArrayOfStrings(key))
        }
        return try elements.map { element throws(Rejection) in
            guard case .string(let text) = element, Self.isIdentifier(text) else {
                throw reject(.notAnArrayOfIdentifiers(key))
            }
            return text
        }
    }

    mutating func basisAndPurpose(_ vocabulary: Vocabulary) throws(Rejection) -> (String, String) {
        let legalBasis = try string("legalBasis")
        guard vocabulary.legalBases.contains(legalBasis) else {
            throw reject(.legalBasisUnknown(vocabulary))
        }
        let purpose = try string("purpose")
        guard vocabulary.purposes.contains(purpose) else {
            throw reject(.purposeUnknown)
        }
        return (legalBasis, purpose)
    }

    mutating func items(vocabulary: Vocabulary, stored: Bool) throws(Rejection) -> [IngestedItem] {
        guard case .array(let elements) = try required("items"), (1...DomainEvent.maxItems).contains(elements.count)
        else {
            throw reject(.itemsNotAnArray)
        }
        var items: [IngestedItem] = []
        for (index, element) in elements.enumerated() {
            guard case .object(let item) = element else {
                throw reject(.itemNotAnObject(index))
            }
            let valueKey = stored ? "sealed" : "value"
            for key in item.keys where !["field", valueKey, "socialForceMajeure"].contains(key) {
                throw reject(.itemUnknownMember(index, key))
            }
            guard case .string(let field) = item["field"] else {
                throw reject(.itemWithoutField(index, missing: item["field"] == nil))
            }
            guard let definition = vocabulary.fields[field] else {
                throw reject(.itemFieldUnknown(index))
            }
            var socialForceMajeure = false
            if let flag = item["socialForceMajeure"] {
                guard case .bool(let set) = flag else {
                    throw reject(.itemFlagNotABoolean(index))
                }
                socialForceMajeure = set
            }
            if definition.special && !(field == "social_force_majeure" && socialForceMajeure) {
                throw reject(.itemSpecialCategory(index))
            }
            guard let value = item[valueKey] else {
                throw reject(.itemWithoutValue(index, valueKey))
            }
            if stored {
                guard case .number(let spelling) = value, let sealed = Int(spelling) else {
                    throw reject(.itemSealedNotAnIndex(index))
                }
                items.append(
                    IngestedItem(field: field, value: nil, sealed: sealed, socialForceMajeure: socialForceMajeure))
                continue
            }
            guard definition.type.accepts(value) else {
                if definition.type == .personalIdentityCode, case .string = value {
                    throw reject(.itemCodeInvalid(index))
                }
                throw reject(.itemValueWrongType(index, field: field, definition.type))
            }
            items.append(IngestedItem(field: field, value: value, sealed: nil, socialForceMajeure: socialForceMajeure))
        }
        return items
    }

    mutating func fieldList(_ vocabulary: Vocabulary) throws(Rejection) -> [String] {
        guard case .array(let elements) = try required("fields"), (1...DomainEvent.maxItems).contains(elements.count)
        else {
            throw reject(.fieldsNotAnArray)
        }
        var fields: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let field) = element else {
                throw reject(.fieldNotAString(index))
            }
            guard vocabulary.fields[field] != nil else {
                throw reject(.fieldUnknown(index))
            }
            guard !fields.contains(field) else {
                throw reject(.fieldRepeated(index))
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
            throw reject(.safeguardInvalid(vocabulary))
        }
        return Safeguard(type: type, reference: reference)
    }

    func rejectUnread() throws(Rejection) {
        for key in object.keys where !read.contains(key) {
            throw reject(.unknownMember(key))
        }
    }
}

/// What a payload rule says when it refuses an event, shared by the payload's two readers (the tree's
/// `PayloadReader`, the tape's ``EventReader``) so that both say exactly the same. `field` is a path
/// under `payload.` unless `root`.
struct PayloadRefusal {
    let field: String
    let rule: Rule
    let message: String
    var root = false

    func rejection(id: String?) -> Rejection {
        Rejection(id: id, field: root ? field : "payload.\(field)", rule: rule, message: message)
    }

    static let typeUnknown = PayloadRefusal(
        field: "type", rule: .typeUnknown, message: "type must be one of \(DomainEvent.types.joined(separator: ", "))",
        root: true)
    static func subjectRequired(type: String) -> PayloadRefusal {
        PayloadRefusal(
            field: "subject", rule: .subjectRequired, message: "a \(type) event must name its subject", root: true)
    }
    static let subjectNotAllowed = PayloadRefusal(
        field: "subject", rule: .subjectNotAllowed, message: "a party.registered event is about no person", root: true)

    static func missing(_ key: String) -> PayloadRefusal {
        PayloadRefusal(field: key, rule: .payloadMissingField, message: "the payload has no \(key)")
    }
    static func notAString(_ key: String) -> PayloadRefusal {
        PayloadRefusal(field: key, rule: .payloadWrongType, message: "\(key) must be a string of 1 to 1,000 characters")
    }
    static func notAnIdentifier(_ key: String) -> PayloadRefusal {
        PayloadRefusal(
            field: key, rule: .payloadWrongType,
            message: "\(key) must be an identifier of 1 to \(DomainEvent.maxIdentifierLength) printable characters")
    }
    static func identifierLooksLikeCode(_ key: String) -> PayloadRefusal {
        PayloadRefusal(
            field: key, rule: .identifierPersonalIdentityCode,
            message: "\(key) must not be or contain a personal identity code")
    }
    static func notAnArrayOfStrings(_ key: String) -> PayloadRefusal {
        PayloadRefusal(field: key, rule: .payloadWrongType, message: "\(key) must be an array of strings")
    }
    static func notAnArrayOfIdentifiers(_ key: String) -> PayloadRefusal {
        PayloadRefusal(field: key, rule: .payloadWrongType, message: "\(key) must be an array of identifiers")
    }
    static func unknownMember(_ key: String) -> PayloadRefusal {
        PayloadRefusal(
            field: Event.printableField(key), rule: .payloadUnknownField,
            message: "the payload has no member of that name")
    }

    static let partyKindUnknown = PayloadRefusal(
        field: "kind", rule: .partyKindUnknown, message: "kind must be a party kind of the vocabulary")
    static let countryUnknown = PayloadRefusal(
        field: "country", rule: .countryUnknown, message: "country must be an ISO 3166-1 alpha-2 code")
    static let channelUnknown = PayloadRefusal(
        field: "channel", rule: .channelUnknown,
        message: "channel must be one of \(DomainEvent.channels.sorted().joined(separator: ", "))")
    static func legalBasisUnknown(_ vocabulary: Vocabulary) -> PayloadRefusal {
        PayloadRefusal(
            field: "legalBasis", rule: .legalBasisUnknown,
            message: "legalBasis must be one of \(vocabulary.legalBases.sorted().joined(separator: ", "))")
    }
    static let purposeUnknown = PayloadRefusal(
        field: "purpose", rule: .purposeUnknown, message: "purpose must be a purpose of the vocabulary")
    static func safeguardInvalid(_ vocabulary: Vocabulary) -> PayloadRefusal {
        PayloadRefusal(
            field: "safeguard", rule: .safeguardInvalid,
            message:
                "safeguard must be {\"type\": one of \(vocabulary.safeguards.sorted().joined(separator: ", ")), \"reference\": an identifier}"
        )
    }

    static let itemsNotAnArray = PayloadRefusal(
        field: "items", rule: .payloadWrongType,
        message: "items must be an array of 1 to \(DomainEvent.maxItems) objects")
    static func itemNotAnObject(_ index: Int) -> PayloadRefusal {
        PayloadRefusal(field: "items[\(index)]", rule: .payloadWrongType, message: "items[\(index)] must be an object")
    }
    static func itemUnknownMember(_ index: Int, _ key: String) -> PayloadRefusal {
        PayloadRefusal(
            field: "items[\(index)].\(Event.printableField(key))", rule: .payloadUnknownField,
            message: "an item has only field, value and socialForceMajeure")
    }
    static func itemWithoutField(_ index: Int, missing: Bool) -> PayloadRefusal {
        PayloadRefusal(
            field: "items[\(index)].field", rule: missing ? .payloadMissingField : .payloadWrongType,
            message: "items[\(index)] needs a field name")
    }
    static func itemFieldUnknown(_ index: Int) -> PayloadRefusal {
        PayloadRefusal(
            field: "items[\(index)].field", rule: .fieldUnknown, message: "the field is not in the vocabulary")
    }
    static func itemFlagNotABoolean(_ index: Int) -> PayloadRefusal {
        PayloadRefusal(
            field: "items[\(index)].socialForceMajeure", rule: .payloadWrongType,
            message: "socialForceMajeure must be true or false")
    }
    static func itemSpecialCategory(_ index: Int) -> PayloadRefusal {
        PayloadRefusal(
            field: "items[\(index)].field", rule: .fieldSpecialCategory,
            message:
                "special categories of data are refused, except a social force majeure the person gave, flagged socialForceMajeure: true"
        )
    }
    static func itemWithoutValue(_ index: Int, _ valueKey: String) -> PayloadRefusal {
        PayloadRefusal(
            field: "items[\(index)].\(valueKey)", rule: .payloadMissingField,
            message: "items[\(index)] has no \(valueKey)")
    }
    static func itemSealedNotAnIndex(_ index: Int) -> PayloadRefusal {
        PayloadRefusal(
            field: "items[\(index)].sealed", rule: .payloadWrongType,
            message: "a stored item refers to its sealed box by index")
    }
    static func itemCodeInvalid(_ index: Int) -> PayloadRefusal {
        PayloadRefusal(
            field: "items[\(index)].value", rule: .personalIdentityCodeInvalid,
            message:
                "the value is not a valid Finnish or Swedish personal identity code (format, century sign, date, check character)"
        )
    }
    static func itemValueWrongType(_ index: Int, field: String, _ type: ValueType) -> PayloadRefusal {
        PayloadRefusal(
            field: "items[\(index)].value", rule: .fieldWrongType, message: "\(field) must be \(type.expectation)")
    }

    static let fieldsNotAnArray = PayloadRefusal(
        field: "fields", rule: .payloadWrongType,
        message: "fields must be an array of 1 to \(DomainEvent.maxItems) field names")
    static func fieldNotAString(_ index: Int) -> PayloadRefusal {
        PayloadRefusal(field: "fields[\(index)]", rule: .payloadWrongType, message: "fields must be field names")
    }
    static func fieldUnknown(_ index: Int) -> PayloadRefusal {
        PayloadRefusal(field: "fields[\(index)]", rule: .fieldUnknown, message: "the field is not in the vocabulary")
    }
    static func fieldRepeated(_ index: Int) -> PayloadRefusal {
        PayloadRefusal(field: "fields[\(index)]", rule: .fieldRepeated, message: "a disclosure names each field once")
    }
}
