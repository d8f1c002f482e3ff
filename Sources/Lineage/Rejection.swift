/// The stable codes of the rules an event can break. They are part of the CLI's contract: feeding
/// systems match on them, so a code is never renamed or reused.
public enum Rule: String, Sendable, CaseIterable {
    case emptyLine = "line.empty"
    case lineTooLong = "line.too_long"
    case invalidJSON = "json.invalid"
    case invalidUTF8 = "json.invalid_utf8"
    case duplicateKey = "json.duplicate_key"
    case numberOutOfRange = "json.number_out_of_range"
    case tooDeep = "json.too_deep"
    case notAnObject = "envelope.not_object"
    case missingField = "envelope.missing_field"
    case unknownField = "envelope.unknown_field"
    case wrongType = "envelope.wrong_type"
    case idNotUUID = "id.not_uuid"
    case typeInvalid = "type.invalid"
    case occurredAtInvalid = "occurredAt.not_rfc3339"
    case subjectEmpty = "subject.empty"
    case subjectTooLong = "subject.too_long"
    case subjectControlCharacter = "subject.control_character"
    case subjectPersonalIdentityCode = "subject.personal_identity_code"
    case schemaVersionUnsupported = "schemaVersion.unsupported"
    /// The id was seen before with other content.
    case idConflict = "id.conflict"
    // The domain's rules (docs/EVENTS.md).
    case typeUnknown = "type.unknown"
    case subjectRequired = "subject.required"
    case subjectNotAllowed = "subject.not_allowed"
    case payloadMissingField = "payload.missing_field"
    case payloadUnknownField = "payload.unknown_field"
    case payloadWrongType = "payload.wrong_type"
    case identifierPersonalIdentityCode = "identifier.personal_identity_code"
    case partyKindUnknown = "party.kind_unknown"
    case countryUnknown = "country.unknown"
    case fieldUnknown = "field.unknown"
    case fieldWrongType = "field.wrong_type"
    case fieldRepeated = "field.repeated"
    case fieldSpecialCategory = "field.special_category"
    case legalBasisUnknown = "legal_basis.unknown"
    case purposeUnknown = "purpose.unknown"
    case personalIdentityCodeInvalid = "personal_identity_code.invalid"
    case channelUnknown = "channel.unknown"
    case safeguardInvalid = "safeguard.invalid"
    case partyNotRegistered = "party.not_registered"
    case disclosureNoLiveValue = "disclosure.no_live_value"
    case disclosureCategoryNotAllowed = "disclosure.category_not_allowed"
    case transferNoSafeguard = "transfer.no_safeguard"

    init(_ kind: JSONSyntaxError.Kind) {
        switch kind {
        case .invalid: self = .invalidJSON
        case .invalidUTF8: self = .invalidUTF8
        case .duplicateKey: self = .duplicateKey
        case .numberOutOfRange: self = .numberOutOfRange
        case .tooDeep: self = .tooDeep
        }
    }
}

/// Why one input event was refused: where (line, id, field), which rule, and an explanation that
/// never contains the offending value, since it may be personal data.
public struct Rejection: Error, Equatable, Sendable {
    /// The 1-based input line, when the event came from a file.
    public var line: Int?
    /// The event's id, once it is known to be a well-formed UUID (never echoed otherwise).
    public var id: String?
    /// The field that broke the rule, as a path such as `subject` or `payload`; `nil` for the line.
    public var field: String?
    public var rule: Rule
    public var message: String

    public init(line: Int? = nil, id: String? = nil, field: String?, rule: Rule, message: String) {
        self.line = line
        self.id = id
        self.field = field
        self.rule = rule
        self.message = message
    }
}
