/// Reads a received event from its parsed tape (``JSONTape``): every rule of ``Event/init(validating:)``
/// and ``DomainEvent/init(_:vocabulary:stored:)``, checked in the same order and refused with the same
/// rejections (``Event/Refusal``, ``PayloadRefusal``). Where the tree's readers hold `String`s, this one
/// reads bytes, so that a valid event costs no allocation beyond the `String`s its ``DomainEvent`` keeps
/// (vocabulary words are the vocabulary's own, shared). `TapeDifferentialTests` holds the two paths to
/// each other: a rule changed in one must change in the other.
///
/// A reader is reused event after event by one thread. After a successful ``read(_:)`` it says where on
/// the tape the preparer finds what it cuts out of the canonical form: the id, the items, their values.
///
/// A `stored` reader reads the stored form instead (a record's event, as ``StoredForm`` writes it):
/// each item holds `"sealed":` the index of its sealed value where a received one holds its value,
/// as ``DomainEvent/init(_:vocabulary:stored:)`` reads it with `stored: true`.
struct EventReader {
    let vocabulary: Vocabulary
    let stored: Bool
    /// The node of the envelope's `id` string.
    private(set) var idNode = 0
    /// The node of `payload.items`, for a `data.ingested` event.
    private(set) var itemsNode: Int?
    /// Per ingested item, the node of its value and the value's type.
    private(set) var itemValues: [(node: Int, type: ValueType)] = []

    init(vocabulary: Vocabulary, stored: Bool = false) {
        self.vocabulary = vocabulary
        self.stored = stored
    }

    private enum EventType {
        case partyRegistered, caseOpened, caseClosed, ingested, disclosed
    }

    private static let eventTypes = NameIndex<EventType>([
        "party.registered": .partyRegistered, "case.opened": .caseOpened, "case.closed": .caseClosed,
        "data.ingested": .ingested, "data.disclosed": .disclosed,
    ])

    /// Each type's payload members (`PayloadReader` refuses any other once the rest is checked).
    private static func members(of type: EventType) -> [StaticString] {
        switch type {
        case .partyRegistered: return partyMembers
        case .caseOpened: return caseOpenedMembers
        case .caseClosed: return caseClosedMembers
        case .ingested: return ingestionMembers
        case .disclosed: return disclosureMembers
        }
    }

    private static let partyMembers: [StaticString] = ["party", "kind", "name", "country", "certifications"]
    private static let caseOpenedMembers: [StaticString] = ["case", "client"]
    private static let caseClosedMembers: [StaticString] = ["case", "reason"]
    private static let ingestionMembers: [StaticString] = [
        "case", "source", "items", "legalBasis", "purpose", "sourceReference",
    ]
    private static let disclosureMembers: [StaticString] = [
        "case", "recipient", "fields", "legalBasis", "purpose", "channel", "safeguard",
    ]

    private static let envelopeMembers: [StaticString] = [
        "id", "type", "occurredAt", "subject", "schemaVersion", "payload",
    ]
    private static let itemMembers: [StaticString] = ["field", "value", "socialForceMajeure"]
    private static let storedItemMembers: [StaticString] = ["field", "sealed", "socialForceMajeure"]

    /// Checks the event on `document`'s tape and returns it slimmed (``DomainEvent/slimmed()``: no JSON).
    mutating func read(_ document: JSONDocument) throws(Rejection) -> DomainEvent {
        itemsNode = nil
        itemValues.removeAll(keepingCapacity: true)
        let root = JSONDocument.root
        // The envelope, as Event.init(validating:) checks it.
        guard document.kind(root) == .object else { throw Event.Refusal.notAnObject }
        let envelope = document.members(of: root, named: Self.envelopeMembers)
        guard let idValue = envelope.value("id") else { throw Event.Refusal.missing("id", id: nil) }
        guard document.kind(idValue) == .string else {
            throw Event.Refusal.wrongType("id", typeName: document.typeName(idValue), "a string", id: nil)
        }
        guard let id = EventID(utf8: document.bytes(idValue)) else { throw Event.Refusal.idNotUUID }
        idNode = idValue
        if let other = envelope.other { throw Event.Refusal.unknownMember(document.string(other), id: id.description) }
        func required(_ field: StaticString) throws(Rejection) -> Int {
            guard let value = envelope.value(field) else {
                throw Event.Refusal.missing(field.description, id: id.description)
            }
            return value
        }
        func wrongType(_ field: String, _ node: Int, _ expected: String) -> Rejection {
            Event.Refusal.wrongType(field, typeName: document.typeName(node), expected, id: id.description)
        }

        let typeValue = try required("type")
        guard document.kind(typeValue) == .string else { throw wrongType("type", typeValue, "a string") }
        guard Event.isValidType(utf8: document.bytes(typeValue)) else {
            throw Event.Refusal.typeInvalid(id: id.description)
        }

        let occurredValue = try required("occurredAt")
        guard document.kind(occurredValue) == .string else {
            throw wrongType("occurredAt", occurredValue, "a string")
        }
        guard let occurredMicros = Timestamp.microseconds(rfc3339: document.bytes(occurredValue)) else {
            throw Event.Refusal.occurredAtInvalid(id: id.description)
        }

        var subject: String?
        if let subjectValue = envelope.value("subject") {
            guard document.kind(subjectValue) == .string else { throw wrongType("subject", subjectValue, "a string") }
            if var refusal = Event.subjectRefusal(utf8: document.bytes(subjectValue)) {
                refusal.id = id.description
                throw refusal
            }
            subject = document.string(subjectValue)
        }

        let versionValue = try required("schemaVersion")
        guard document.kind(versionValue) == .number else {
            throw wrongType("schemaVersion", versionValue, "an integer")
        }
        // A short number's `String` is stored inline: no allocation.
        guard let version = Int(document.string(versionValue)), Event.supportedSchemaVersions.contains(version) else {
            throw Event.Refusal.schemaVersionUnsupported(id: id.description)
        }

        let payloadValue = try required("payload")
        guard document.kind(payloadValue) == .object else { throw wrongType("payload", payloadValue, "an object") }

        // The payload, as DomainEvent.init checks it.
        guard let (typeName, type) = Self.eventTypes.entry(document.bytes(typeValue)) else {
            throw PayloadRefusal.typeUnknown.rejection(id: id.description)
        }
        let payload = PayloadCursor(
            document: document, members: document.members(of: payloadValue, named: Self.members(of: type)), id: id)
        let needsSubject = type != .partyRegistered
        if needsSubject && subject == nil { throw payload.reject(.subjectRequired(type: typeName)) }
        if !needsSubject && subject != nil { throw payload.reject(.subjectNotAllowed) }
        let domainPayload: DomainPayload
        switch type {
        case .partyRegistered:
            let party = try payload.identifier("party")
            guard let kind = vocabulary.partyKindIndex.entry(try payload.string("kind")) else {
                throw payload.reject(.partyKindUnknown)
            }
            let name = try payload.string("name")
            guard let country = Countries.index.entry(try payload.string("country")) else {
                throw payload.reject(.countryUnknown)
            }
            domainPayload = .partyRegistered(
                PartyRegistration(
                    party: party, kind: kind.name, name: String(decoding: name, as: UTF8.self), country: country.name,
                    certifications: try payload.optionalIdentifiers("certifications") ?? []))
        case .caseOpened:
            domainPayload = .caseOpened(
                caseID: try payload.identifier("case"), client: try payload.identifier("client"))
        case .caseClosed:
            domainPayload = .caseClosed(
                caseID: try payload.identifier("case"),
                reason: try payload.optionalString("reason").map { String(decoding: $0, as: UTF8.self) })
        case .ingested:
            let caseID = try payload.optionalIdentifier("case")
            let source = try payload.identifier("source")
            let items = try readItems(payload)
            let (legalBasis, purpose) = try payload.basisAndPurpose(vocabulary)
            domainPayload = .ingested(
                Ingestion(
                    caseID: caseID, source: source, items: items, legalBasis: legalBasis, purpose: purpose,
                    sourceReference: try payload.optionalIdentifier("sourceReference")))
        case .disclosed:
            let caseID = try payload.optionalIdentifier("case")
            let recipient = try payload.identifier("recipient")
            let fields = try payload.fieldList(vocabulary)
            let (legalBasis, purpose) = try payload.basisAndPurpose(vocabulary)
            guard let channel = DomainEvent.channelIndex.entry(try payload.string("channel")) else {
                throw payload.reject(.channelUnknown)
            }
            domainPayload = .disclosed(
                Disclosure(
                    caseID: caseID, recipient: recipient, fields: fields, legalBasis: legalBasis, purpose: purpose,
                    channel: channel.name, safeguard: try payload.safeguard(vocabulary)))
        }
        try payload.rejectOthers()

        let event = Event(
            id: id, type: typeName,
            occurredAt: Timestamp(text: document.string(occurredValue), microseconds: occurredMicros),
            subject: subject, schemaVersion: version, payload: JSONObject.empty, canonical: [],
            canonicalObject: JSONObject.empty)
        return DomainEvent(unchecked: event, payload: domainPayload)
    }

    /// `payload.items` (`PayloadReader.items`), noting each received value's node.
    private mutating func readItems(_ payload: PayloadCursor) throws(Rejection) -> [IngestedItem] {
        let document = payload.document
        let node = try payload.required("items")
        guard document.kind(node) == .array, (1...DomainEvent.maxItems).contains(document.count(node)) else {
            throw payload.reject(.itemsNotAnArray)
        }
        itemsNode = node
        var items: [IngestedItem] = []
        items.reserveCapacity(document.count(node))
        for (index, element) in document.elements(node).enumerated() {
            guard document.kind(element) == .object else { throw payload.reject(.itemNotAnObject(index)) }
            let item = document.members(of: element, named: stored ? Self.storedItemMembers : Self.itemMembers)
            if let other = item.other { throw payload.reject(.itemUnknownMember(index, document.string(other))) }
            let fieldNode = item.value("field")
            guard let fieldNode, document.kind(fieldNode) == .string else {
                throw payload.reject(.itemWithoutField(index, missing: fieldNode == nil))
            }
            guard let (field, definition) = vocabulary.fieldIndex.entry(document.bytes(fieldNode)) else {
                throw payload.reject(.itemFieldUnknown(index))
            }
            var socialForceMajeure = false
            if let flag = item.value("socialForceMajeure") {
                guard document.kind(flag) == .true || document.kind(flag) == .false else {
                    throw payload.reject(.itemFlagNotABoolean(index))
                }
                socialForceMajeure = document.kind(flag) == .true
            }
            if definition.special && !(field == "social_force_majeure" && socialForceMajeure) {
                throw payload.reject(.itemSpecialCategory(index))
            }
            if stored {
                guard let sealedNode = item.value("sealed") else {
                    throw payload.reject(.itemWithoutValue(index, "sealed"))
                }
                // The tape holds numbers in canonical spelling, as the tree does (a short one's `String`
                // is stored inline: no allocation).
                guard document.kind(sealedNode) == .number, let sealed = Int(document.string(sealedNode)) else {
                    throw payload.reject(.itemSealedNotAnIndex(index))
                }
                items.append(
                    IngestedItem(field: field, value: nil, sealed: sealed, socialForceMajeure: socialForceMajeure))
                continue
            }
            guard let value = item.value("value") else {
                throw payload.reject(.itemWithoutValue(index, "value"))
            }
            guard definition.type.accepts(value, of: document) else {
                if definition.type == .personalIdentityCode, document.kind(value) == .string {
                    throw payload.reject(.itemCodeInvalid(index))
                }
                throw payload.reject(.itemValueWrongType(index, field: field, definition.type))
            }
            items.append(
                IngestedItem(
                    field: field, value: document.value(value), sealed: nil, socialForceMajeure: socialForceMajeure))
            itemValues.append((value, definition.type))
        }
        return items
    }
}

/// The payload object on a tape and the `PayloadReader` checks of its members, reading bytes. (It is
/// handed the vocabulary rather than holding a copy: copying the struct retains each of its tables.)
private struct PayloadCursor {
    let document: JSONDocument
    /// The payload's members, matched against its type's names.
    let members: JSONDocument.Members
    let id: EventID

    func reject(_ refusal: PayloadRefusal) -> Rejection { refusal.rejection(id: id.description) }

    func required(_ key: StaticString) throws(Rejection) -> Int {
        guard let node = members.value(key) else { throw reject(.missing(key.description)) }
        return node
    }

    /// A member that must be a string of 1 to 1,000 characters: its UTF-8.
    func string(_ key: StaticString) throws(Rejection) -> UnsafeRawBufferPointer {
        let node = try required(key)
        guard document.kind(node) == .string, ValueType.hasCharacters(document.bytes(node), atMost: 1_000) else {
            throw reject(.notAString(key.description))
        }
        return document.bytes(node)
    }

    func optionalString(_ key: StaticString) throws(Rejection) -> UnsafeRawBufferPointer? {
        members.value(key) == nil ? nil : try string(key)
    }

    func identifier(_ key: StaticString) throws(Rejection) -> String {
        let text = try string(key)
        guard DomainEvent.isIdentifier(utf8: text) else { throw reject(.notAnIdentifier(key.description)) }
        if PersonalIdentityCode.containsLookalike(utf8: text) {
            throw reject(.identifierLooksLikeCode(key.description))
        }
        return String(decoding: text, as: UTF8.self)
    }

    func optionalIdentifier(_ key: StaticString) throws(Rejection) -> String? {
        members.value(key) == nil ? nil : try identifier(key)
    }

    /// `PayloadReader.optionalStrings`: an array of identifiers (not checked for identity codes).
    func optionalIdentifiers(_ key: StaticString) throws(Rejection) -> [String]? {
        guard let node = members.value(key) else { return nil }
        guard document.kind(node) == .array else { throw reject(.notAnArrayOfStrings(key.description)) }
        var identifiers: [String] = []
        for element in document.elements(node) {
            guard document.kind(element) == .string, DomainEvent.isIdentifier(utf8: document.bytes(element)) else {
                throw reject(.notAnArrayOfIdentifiers(key.description))
            }
            identifiers.append(document.string(element))
        }
        return identifiers
    }

    func basisAndPurpose(_ vocabulary: Vocabulary) throws(Rejection) -> (String, String) {
        guard let legalBasis = vocabulary.legalBasisIndex.entry(try string("legalBasis")) else {
            throw reject(.legalBasisUnknown(vocabulary))
        }
        guard let purpose = vocabulary.purposeIndex.entry(try string("purpose")) else {
            throw reject(.purposeUnknown)
        }
        return (legalBasis.name, purpose.name)
    }

    func fieldList(_ vocabulary: Vocabulary) throws(Rejection) -> [String] {
        let node = try required("fields")
        guard document.kind(node) == .array, (1...DomainEvent.maxItems).contains(document.count(node)) else {
            throw reject(.fieldsNotAnArray)
        }
        var fields: [String] = []
        fields.reserveCapacity(document.count(node))
        for (index, element) in document.elements(node).enumerated() {
            guard document.kind(element) == .string else { throw reject(.fieldNotAString(index)) }
            guard let (field, _) = vocabulary.fieldIndex.entry(document.bytes(element)) else {
                throw reject(.fieldUnknown(index))
            }
            guard !fields.contains(field) else { throw reject(.fieldRepeated(index)) }
            fields.append(field)
        }
        return fields
    }

    func safeguard(_ vocabulary: Vocabulary) throws(Rejection) -> Safeguard? {
        guard let node = members.value("safeguard") else { return nil }
        guard document.kind(node) == .object, let typeNode = document.member(node, "type"),
            document.kind(typeNode) == .string, let type = vocabulary.safeguardIndex.entry(document.bytes(typeNode)),
            let referenceNode = document.member(node, "reference"), document.kind(referenceNode) == .string,
            DomainEvent.isIdentifier(utf8: document.bytes(referenceNode)), document.count(node) == 2
        else { throw reject(.safeguardInvalid(vocabulary)) }
        return Safeguard(type: type.name, reference: document.string(referenceNode))
    }

    /// `PayloadReader.rejectUnread`: once everything else is checked, any member not of the type.
    func rejectOthers() throws(Rejection) {
        if let other = members.other { throw reject(.unknownMember(document.string(other))) }
    }
}
