import Testing

@testable import Lineage

/// The rules as they were written on `String`s before they read bytes, kept verbatim as the reference
/// the byte-level versions must agree with.
private enum Before {
    static let finnishCheckCharacters = Array("0123456789ABCDEFHJKLMNPRSTUVWXY".utf8)
    static let isDigit = PersonalIdentityCode.isDigit
    static func digitsValue(_ digits: some Collection<UInt8>) -> Int? { PersonalIdentityCode.digitsValue(digits) }
    static func isRealDate(year: Int, month: Int, day: Int) -> Bool {
        PersonalIdentityCode.isRealDate(year: year, month: month, day: day)
    }

    static func isValidFinnish(_ code: String) -> Bool {
        let chars = Array(code.utf8)
        guard chars.count == 11, let century = PersonalIdentityCode.finnishCentury(chars[6]),
            let date = digitsValue(chars[0..<6]), let individual = digitsValue(chars[7..<10]),
            individual >= 2,
            isRealDate(year: century + date % 100, month: date / 100 % 100, day: date / 10_000)
        else { return false }
        let number = (date * 1000 + individual) % 31
        return chars[10] == finnishCheckCharacters[number]
    }

    static func isValidSwedish(_ code: String) -> Bool {
        var chars = Array(code.utf8)
        if chars.count == 11 || chars.count == 13 {
            let separator = chars[chars.count - 5]
            guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: "+") else { return false }
            chars.remove(at: chars.count - 5)
        }
        guard chars.count == 10 || chars.count == 12, chars.allSatisfy(isDigit) else { return false }
        let ten = Array(chars.suffix(10))
        let month = digitsValue(ten[2..<4])!
        var day = digitsValue(ten[4..<6])!
        if day > 60 { day -= 60 }
        let year: Int
        if chars.count == 12 {
            year = digitsValue(chars[0..<4])!
        } else {
            let yy = digitsValue(ten[0..<2])!
            year = isRealDate(year: 2000 + yy, month: month, day: day) ? 2000 + yy : 1900 + yy
        }
        return isRealDate(year: year, month: month, day: day) && luhnValid(ten)
    }

    static func containsLookalike(_ text: String) -> Bool {
        let chars = Array(text.utf8).map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 32 : $0 }
        for start in chars.indices {
            if start + 11 <= chars.count, looksFinnish(chars[start..<start + 11]) { return true }
            if looksSwedish(chars, from: start) { return true }
        }
        return false
    }

    static func looksFinnish(_ window: ArraySlice<UInt8>) -> Bool {
        let chars = Array(window)
        guard PersonalIdentityCode.finnishCentury(chars[6]) != nil, chars[0..<6].allSatisfy(isDigit),
            chars[7..<10].allSatisfy(isDigit),
            isDigit(chars[10]) || (UInt8(ascii: "A")...UInt8(ascii: "Y")).contains(chars[10])
        else { return false }
        let date = digitsValue(chars[0..<6])!
        return (1...12).contains(date / 100 % 100) && (1...31).contains(date / 10_000)
    }

    static func looksSwedish(_ chars: [UInt8], from start: Int) -> Bool {
        if start > 0 && isDigit(chars[start - 1]) { return false }
        var digits: [UInt8] = []
        var index = start
        while index < chars.count {
            let byte = chars[index]
            if isDigit(byte) {
                digits.append(byte)
            } else if (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+"))
                && (digits.count == 6 || digits.count == 8)
                && index + 1 < chars.count && isDigit(chars[index + 1])
            {
            } else {
                break
            }
            index += 1
        }
        guard digits.count == 10 || digits.count == 12 else { return false }
        let ten = Array(digits.suffix(10))
        let month = digitsValue(ten[2..<4])!
        let day = digitsValue(ten[4..<6])!
        return (1...12).contains(month) && ((1...31).contains(day) || (61...91).contains(day)) && luhnValid(ten)
    }

    static func luhnValid(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (index, byte) in digits.reversed().enumerated() {
            var value = Int(byte - UInt8(ascii: "0"))
            if index % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }

    static func isValidType(_ type: String) -> Bool {
        let chars = Array(type.utf8)
        guard chars.count <= Event.maxTypeLength else { return false }
        let words = chars.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard words.count >= 2 else { return false }
        return words.allSatisfy { word in
            guard let first = word.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
            return word.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || isDigit($0) || $0 == UInt8(ascii: "_")
            }
        }
    }

    static func subjectRule(_ subject: String) -> Rule? {
        guard !subject.isEmpty else { return .subjectEmpty }
        guard subject.count <= Event.maxSubjectLength else { return .subjectTooLong }
        guard !subject.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            return .subjectControlCharacter
        }
        guard !containsLookalike(subject) else { return .subjectPersonalIdentityCode }
        return nil
    }

    static func isIdentifier(_ text: String) -> Bool {
        (1...DomainEvent.maxIdentifierLength).contains(text.count)
            && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7f }
    }

    static func eventID(_ text: String) -> [UInt8]? {
        var text = text
        let parsed: [UInt8]? = text.withUTF8 { chars in
            guard chars.count == 36 else { return nil }
            var bytes: [UInt8] = []
            var index = 0
            while index < 36 {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard chars[index] == UInt8(ascii: "-") else { return nil }
                    index += 1
                    continue
                }
                guard let high = Hex.value(chars[index]), let low = Hex.value(chars[index + 1]) else { return nil }
                bytes.append(high << 4 | low)
                index += 2
            }
            return bytes
        }
        guard let parsed, parsed.contains(where: { $0 != 0 }) else { return nil }
        return parsed
    }
}

/// Texts near the shapes the rules look for: identity codes of both countries in every spelling, with
/// a character changed, inserted or dropped, among other characters.
private struct NearMisses {
    var random = TestRandom(state: 99)
    static let seeds = [
        "131052-308T", "131052-308t", "131052A308T", "010100+123H", "19811228-9874", "811228-9874", "8112289874",
        "198112289874", "811228+9874", "811288-9875", "20000229-0005", "000229-0005", "person-0000003", "case.opened",
        "data.ingested", "5b7e4f0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "2026-01-02T10:00:00.25+02:00", "2024-02-29",
    ]
    static let alphabet =
        Array("0123456789-+.:_ aAbTtYyZz\t".unicodeScalars) + [
            "\u{7f}", "\u{0}", "ä", "\u{212A}", "\u{301}", "\r", "\n",
        ]

    mutating func next() -> String {
        var scalars = Array(random.pick(Self.seeds).unicodeScalars)
        for _ in 0..<random.below(4) {
            let index = random.below(scalars.count + 1)
            switch random.below(3) {
            case 0: scalars.insert(random.pick(Self.alphabet), at: index)
            case 1 where index < scalars.count: scalars[index] = random.pick(Self.alphabet)
            default: if index < scalars.count { scalars.remove(at: index) }
            }
        }
        var text = String(String.UnicodeScalarView(scalars))
        if random.chance(10) { text = random.pick(["x", "ref ", "ab12"]) + text + random.pick(["", "9", " z"]) }
        if random.chance(3) { text = String(repeating: text, count: 8) }
        return text
    }
}

@Suite("Rules read from bytes answer as the rules on strings did")
struct BytePredicateTests {
    @Test("identity codes, lookalikes, types, subjects, identifiers, ids, on near misses")
    func nearMisses() {
        var texts = NearMisses()
        for _ in 0..<100_000 {
            let text = texts.next()
            #expect(PersonalIdentityCode.isValidFinnish(text) == Before.isValidFinnish(text), "\(text)")
            #expect(PersonalIdentityCode.isValidSwedish(text) == Before.isValidSwedish(text), "\(text)")
            #expect(PersonalIdentityCode.containsLookalike(text) == Before.containsLookalike(text), "\(text)")
            #expect(Event.isValidType(text) == Before.isValidType(text), "\(text)")
            var utf8 = text
            #expect(
                utf8.withUTF8 { DomainEvent.isIdentifier(utf8: UnsafeRawBufferPointer($0)) }
                    == Before.isIdentifier(text),
                "\(text)")
            #expect(EventID(text)?.bytes == Before.eventID(text), "\(text)")
            var rule: Rule?
            do { try Event.checkSubject(text, id: "x") } catch { rule = error.rule }
            #expect(rule == Before.subjectRule(text), "\(text)")
        }
    }
}
