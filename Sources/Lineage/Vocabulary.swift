/// The words events are made of, loaded from the data files in `schemas/vocabulary/` (embedded in
/// the binary by `tools/embed-vocabulary`, so an installed `lineage` needs no data directory).
/// Where the law or the privacy policy changes, the data files change, not the code.
public struct Vocabulary: Sendable {
    public struct Field: Sendable {
        public let id: String
        public let category: String
        public let type: ValueType
        /// An Art. 9 special category: refused, except a social force majeure given by the person.
        public let special: Bool
    }

    public struct PartyKind: Sendable {
        public let id: String
        /// The categories this kind may receive; `nil` when the policy sets no limit.
        public let allowedCategories: Set<String>?
        /// The fields this kind may receive (delivery companies: name and address); `nil` when unlimited.
        public let allowedFields: Set<String>?

        /// Whether a field of `category` may be disclosed to a party of this kind.
        func allows(field: String, category: String) -> Bool {
            if let allowedFields, allowedFields.contains(field) { return true }
            if let allowedCategories, allowedCategories.contains(category) { return true }
            return allowedFields == nil && allowedCategories == nil
        }
    }

    /// One country's period in a list (the EEA, or an adequacy decision), by day number, inclusive.
    public struct CountryPeriod: Sendable {
        public let country: String
        public let from: Int
        public let to: Int?
        public let requiresCertification: String?

        func covers(_ country: String, day: Int) -> Bool {
            self.country == country && day >= from && (to.map { day <= $0 } ?? true)
        }
    }

    public let fields: [String: Field]
    public let categories: Set<String>
    public let partyKinds: [String: PartyKind]
    public let purposes: Set<String>
    public let legalBases: Set<String>
    public let eea: [CountryPeriod]
    public let adequacy: [CountryPeriod]
    public let safeguards: Set<String>

    // The same, searchable by UTF-8 bytes (the import's hot path: no `String` is made per lookup).
    let fieldIndex: NameIndex<Field>
    let partyKindIndex: NameIndex<PartyKind>
    let purposeIndex: NameIndex<Void>
    let legalBasisIndex: NameIndex<Void>
    let safeguardIndex: NameIndex<Void>

    /// The vocabulary built into this version of lineage.
    public static let standard: Vocabulary = {
        do {
            return try Vocabulary(
                fields: Array(VocabularyData.fields.utf8), parties: Array(VocabularyData.parties.utf8),
                purposes: Array(VocabularyData.purposes.utf8), transfers: Array(VocabularyData.transfers.utf8))
        } catch {
            fatalError("the built-in vocabulary does not load: \(error)")
        }
    }()

    /// Why a vocabulary file could not be read.
    public struct LoadError: Error, CustomStringConvertible {
        public let file: String
        public let problem: String
        public var description: String { "vocabulary \(file): \(problem)" }
    }

    public init(fields: [UInt8], parties: [UInt8], purposes: [UInt8], transfers: [UInt8]) throws {
        let fieldsFile = try Self.object(fields, "fields.json")
        categories = Set(
            try Self.list(fieldsFile, "categories", "fields.json").map { try Self.string($0, "id", "fields.json") })
        var fieldTable: [String: Field] = [:]
        for entry in try Self.list(fieldsFile, "fields", "fields.json") {
            let id = try Self.string(entry, "id", "fields.json")
            let typeName = try Self.string(entry, "type", "fields.json")
            guard let type = ValueType(rawValue: typeName) else {
                throw LoadError(file: "fields.json", problem: "field \(id) has unknown type \(typeName)")
            }
            let category = try Self.string(entry, "category", "fields.json")
            guard categories.contains(category) else {
                throw LoadError(file: "fields.json", problem: "field \(id) has unknown category \(category)")
            }
            fieldTable[id] = Field(id: id, category: category, type: type, special: entry["special"] == .bool(true))
        }
        self.fields = fieldTable

        let partiesFile = try Self.object(parties, "parties.json")
        var kinds: [String: PartyKind] = [:]
        for entry in try Self.list(partiesFile, "kinds", "parties.json") {
            let id = try Self.string(entry, "id", "parties.json")
            kinds[id] = PartyKind(
                id: id, allowedCategories: try Self.stringSet(entry["allowedCategories"]),
                allowedFields: try Self.stringSet(entry["allowedFields"]))
        }
        partyKinds = kinds

        let purposesFile = try Self.object(purposes, "purposes.json")
        self.purposes = Set(
            try Self.list(purposesFile, "purposes", "purposes.json").map { try Self.string($0, "id", "purposes.json") })
        legalBases = Set(
            try Self.list(purposesFile, "legalBases", "purposes.json").map {
                try Self.string($0, "id", "purposes.json")
            })

        let transfersFile = try Self.object(transfers, "transfers.json")
        eea = try Self.list(transfersFile, "eea", "transfers.json").map { try Self.period($0) }
        adequacy = try Self.list(transfersFile, "adequacy", "transfers.json").map { try Self.period($0) }
        safeguards = Set(
            try Self.list(transfersFile, "safeguards", "transfers.json").map {
                try Self.string($0, "id", "transfers.json")
            })

        fieldIndex = NameIndex(fieldTable)
        partyKindIndex = NameIndex(kinds)
        purposeIndex = NameIndex(self.purposes)
        legalBasisIndex = NameIndex(legalBases)
        safeguardIndex = NameIndex(safeguards)
    }

    /// Whether `country` is in the EEA on `day` (days since 1970-01-01).
    public func isInEEA(_ country: String, day: Int) -> Bool {
        eea.contains { $0.covers(country, day: day) }
    }

    /// Whether an adequacy decision covers a recipient in `country` with `certifications` on `day`.
    public func hasAdequacy(_ country: String, certifications: Set<String>, day: Int) -> Bool {
        adequacy.contains { period in
            period.covers(country, day: day)
                && (period.requiresCertification.map { certifications.contains($0) } ?? true)
        }
    }

    // MARK: - Reading the files

    private static func object(_ bytes: [UInt8], _ file: String) throws -> JSONObject {
        guard case .object(let object) = try? JSONParser.parse(bytes) else {
            throw LoadError(file: file, problem: "not a JSON object")
        }
        return object
    }

    private static func list(_ object: JSONObject, _ key: String, _ file: String) throws -> [JSONObject] {
        guard case .array(let elements) = object[key] else {
            throw LoadError(file: file, problem: "\(key) is not an array")
        }
        return try elements.map {
            guard case .object(let entry) = $0 else {
                throw LoadError(file: file, problem: "an entry of \(key) is not an object")
            }
            return entry
        }
    }

    private static func string(_ object: JSONObject, _ key: String, _ file: String) throws -> String {
        guard case .string(let value) = object[key] else {
            throw LoadError(file: file, problem: "an entry has no string \(key)")
        }
        return value
    }

    private static func stringSet(_ value: JSONValue?) throws -> Set<String>? {
        guard let value, value != .null else { return nil }
        guard case .array(let elements) = value else {
            throw LoadError(file: "parties.json", problem: "a list is not an array")
        }
        return Set(elements.compactMap { if case .string(let text) = $0 { text } else { nil } })
    }

    private static func period(_ entry: JSONObject) throws -> CountryPeriod {
        let country = try string(entry, "country", "transfers.json")
        guard let from = Day.parse(try string(entry, "from", "transfers.json")) else {
            throw LoadError(file: "transfers.json", problem: "\(country) has a bad from date")
        }
        var to: Int?
        if case .string(let text) = entry["to"] {
            guard let day = Day.parse(text) else {
                throw LoadError(file: "transfers.json", problem: "\(country) has a bad to date")
            }
            to = day
        }
        var certification: String?
        if case .string(let text) = entry["requiresCertification"] { certification = text }
        return CountryPeriod(country: country, from: from, to: to, requiresCertification: certification)
    }
}

/// Calendar days as numbers: days since 1970-01-01.
enum Day {
    /// The day number of a `YYYY-MM-DD` date, or `nil` if it is not a real date.
    static func parse(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { parse(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// ``parse(_:)`` of a date's UTF-8 bytes.
    static func parse(utf8 c: UnsafeRawBufferPointer) -> Int? {
        guard c.count == 10, c[4] == UInt8(ascii: "-"), c[7] == UInt8(ascii: "-"),
            let year = PersonalIdentityCode.digitsValue(c[0..<4]),
            let month = PersonalIdentityCode.digitsValue(c[5..<7]),
            let day = PersonalIdentityCode.digitsValue(c[8..<10]),
            PersonalIdentityCode.isRealDate(year: year, month: month, day: day)
        else { return nil }
        return Timestamp.daysSinceEpoch(year: year, month: month, day: day)
    }

    /// The day (UTC) an instant falls on.
    static func of(microseconds: Int64) -> Int {
        Int((microseconds >= 0 ? microseconds : microseconds - 86_399_999_999) / 86_400_000_000)
    }
}
