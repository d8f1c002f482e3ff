/// The type of a field's value, as `schemas/vocabulary/fields.json` names it. Checking a value
/// never reveals it: the answer is only whether it fits.
public enum ValueType: String, Sendable, CaseIterable {
    case string, text, date, money, integer, boolean, email, phone, iban, country
    case personalIdentityCode = "personal_identity_code"

    /// What a value of this type must be, for a rejection message.
    var expectation: String {
        switch self {
        case .string: return "a string of 1 to 1,000 characters"
        case .text: return "a string of 1 to 10,000 characters"
        case .date: return "a real date written YYYY-MM-DD"
        case .money: return "a decimal string with at most two decimals, such as \"12.10\" (never a JSON number)"
        case .integer: return "an integer"
        case .boolean: return "true or false"
        case .email: return "an e-mail address"
        case .phone: return "a phone number: + and 7 to 15 digits"
        case .iban: return "an IBAN with a valid check"
        case .country: return "an ISO 3166-1 alpha-2 country code"
        case .personalIdentityCode: return "a valid Finnish or Swedish personal identity code"
        }
    }

    /// Whether `value` is of this type.
    func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.boolean, .bool): return true
        case (.integer, .number(let spelling)): return spelling.allSatisfy { $0.isNumber || $0 == "-" }
        case (_, .string(let text)): return accepts(text)
        default: return false
        }
    }

    private func accepts(_ text: String) -> Bool {
        switch self {
        case .string: return (1...1_000).contains(text.count)
        case .text: return (1...10_000).contains(text.count)
        case .date: return Day.parse(text) != nil
        case .money: return Self.isMoney(text)
        case .email: return Self.isEmail(text)
        case .phone: return Self.isPhone(text)
        case .iban: return Self.isIBAN(text)
        case .country: return Countries.iso3166.contains(text)
        case .personalIdentityCode:
            return PersonalIdentityCode.isValidFinnish(text.uppercased()) || PersonalIdentityCode.isValidSwedish(text)
        case .integer, .boolean: return false
        }
    }

    static func isMoney(_ text: String) -> Bool {
        var chars = Substring(text)
        if chars.first == "-" { chars = chars.dropFirst() }
        let parts = chars.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 18,
            whole.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return false }
        if parts.count == 2 {
            return (1...2).contains(parts[1].count) && parts[1].allSatisfy { $0.isASCII && $0.isNumber }
        }
        return true
    }

    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".")
            && !parts[1].hasSuffix(".") && text.count <= 254 && !text.contains(where: { $0.isWhitespace })
    }

    static func isPhone(_ text: String) -> Bool {
        guard text.first == "+" else { return false }
        let rest = text.dropFirst().filter { $0 != " " }
        return (7...15).contains(rest.count) && rest.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func isIBAN(_ text: String) -> Bool {
        isIBAN(compact: Array(text.uppercased().filter { $0 != " " }.utf8))
    }

    /// Whether an IBAN in upper case without spaces has its shape and a valid mod-97 check.
    private static func isIBAN(compact: [UInt8]) -> Bool {
        guard (15...34).contains(compact.count),
            compact[0..<2].allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }),
            compact[2..<4].allSatisfy(PersonalIdentityCode.isDigit),
            compact.allSatisfy({
                PersonalIdentityCode.isDigit($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
            })
        else { return false }
        var remainder = 0
        for byte in compact[4...] + compact[0..<4] {
            let value =
                PersonalIdentityCode.isDigit(byte) ? Int(byte - UInt8(ascii: "0")) : Int(byte - UInt8(ascii: "A")) + 10
            remainder = (value >= 10 ? remainder * 100 + value : remainder * 10 + value) % 97
        }
        return remainder == 1
    }
}

// MARK: - Values on a JSON tape

extension ValueType {
    /// ``accepts(_:)`` for a value on a parsed tape, with the same answer.
    func accepts(_ node: Int, of document: JSONDocument) -> Bool {
        switch (self, document.kind(node)) {
        case (.boolean, .true), (.boolean, .false): return true
        case (.integer, .number):
            return document.bytes(node).allSatisfy { PersonalIdentityCode.isDigit($0) || $0 == UInt8(ascii: "-") }
        case (_, .string): return accepts(utf8: document.bytes(node), isASCII: document.isASCII(node))
        default: return false
        }
    }

    /// Whether a string value, as UTF-8, is of this type. ASCII text is checked byte by byte; other text
    /// as a `String` by the same functions as a tree's, because counting characters, mapping case and
    /// finding whitespace are Unicode's business there.
    private func accepts(utf8 text: UnsafeRawBufferPointer, isASCII: Bool) -> Bool {
        switch self {
        case .string: return Self.hasCharacters(text, atMost: 1_000)
        case .text: return Self.hasCharacters(text, atMost: 10_000)
        case .date: return Day.parse(utf8: text) != nil
        case .integer, .boolean: return false
        case .money, .email, .phone, .iban, .country, .personalIdentityCode: break
        }
        guard isASCII else { return accepts(String(decoding: text, as: UTF8.self)) }
        switch self {
        case .money: return Self.isMoney(ascii: text)
        case .email: return Self.isEmail(ascii: text)
        case .phone: return Self.isPhone(ascii: text)
        case .iban: return Self.isIBAN(compact: text.filter { $0 != UInt8(ascii: " ") }.map(Self.uppercased))
        case .country: return Countries.index.contains(text)
        case .personalIdentityCode: return PersonalIdentityCode.isValid(ascii: text)
        case .string, .text, .date, .integer, .boolean: return false
        }
    }

    /// Whether UTF-8 text has 1 to `limit` characters as `String.count` counts them. A character is at
    /// least one byte, so the byte count decides unless it is above the limit.
    static func hasCharacters(_ text: UnsafeRawBufferPointer, atMost limit: Int) -> Bool {
        guard text.count > limit else { return !text.isEmpty }
        return String(decoding: text, as: UTF8.self).count <= limit
    }

    private static func uppercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
    }

    /// ``isMoney(_:)`` of ASCII text.
    private static func isMoney(ascii text: UnsafeRawBufferPointer) -> Bool {
        var index = text.first == UInt8(ascii: "-") ? 1 : 0
        let wholeStart = index
        while index < text.count, PersonalIdentityCode.isDigit(text[index]) { index += 1 }
        guard (1...18).contains(index - wholeStart) else { return false }
        if index == text.count { return true }
        guard text[index] == UInt8(ascii: "."), (2...3).contains(text.count - index) else { return false }
        return text[(index + 1)...].allSatisfy(PersonalIdentityCode.isDigit)
    }

    /// ``isEmail(_:)`` of ASCII text (where a character is a byte once whitespace is refused).
    private static func isEmail(ascii text: UnsafeRawBufferPointer) -> Bool {
        guard text.count <= 254, !text.contains(where: { $0 == 0x20 || (0x09...0x0d).contains($0) }),
            let at = text.firstIndex(of: UInt8(ascii: "@")), at > 0
        else { return false }
        let domain = text[(at + 1)...]
        return !domain.contains(UInt8(ascii: "@")) && domain.contains(UInt8(ascii: "."))
            && domain.first != UInt8(ascii: ".") && domain.last != UInt8(ascii: ".")
    }

    /// ``isPhone(_:)`` of ASCII text.
    private static func isPhone(ascii text: UnsafeRawBufferPointer) -> Bool {
        guard text.first == UInt8(ascii: "+") else { return false }
        var digits = 0
        for byte in text.dropFirst() where byte != UInt8(ascii: " ") {
            guard PersonalIdentityCode.isDigit(byte) else { return false }
            digits += 1
        }
        return (7...15).contains(digits)
    }
}

/// ISO 3166-1 alpha-2 codes (officially assigned).
enum Countries {
    static let iso3166: Set<String> = Set(
        """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
        CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
        GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
        JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
        MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
        RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
        TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    static let index = NameIndex(iso3166)
}
