/// Finnish personal identity codes (henkilötunnus) and Swedish personal identity numbers
/// (personnummer, samordningsnummer): validation, and the test that keeps them out of places where
/// an opaque id belongs.
public enum PersonalIdentityCode {
    private static let finnishCheckCharacters = Array("0123456789ABCDEFHJKLMNPRSTUVWXY".utf8)

    /// The century a Finnish century sign stands for (1800, 1900 or 2000), or `nil`.
    static func finnishCentury(_ sign: UInt8) -> Int? {
        switch sign {
        case UInt8(ascii: "+"): return 1800
        case UInt8(ascii: "-"), UInt8(ascii: "Y"), UInt8(ascii: "X"), UInt8(ascii: "W"), UInt8(ascii: "V"),
            UInt8(ascii: "U"):
            return 1900
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return 2000
        default: return nil
        }
    }

    /// Whether `code` is a valid Finnish personal identity code: `DDMMYYCNNNK`, a real date in the
    /// century C names, individual number 002–999, and the check character.
    public static func isValidFinnish(_ code: String) -> Bool {
        var code = code
        return code.withUTF8 { isValidFinnish(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// ``isValidFinnish(_:)`` of a code's UTF-8 bytes.
    static func isValidFinnish(utf8 chars: UnsafeRawBufferPointer) -> Bool {
        guard chars.count == 11, let century = finnishCentury(chars[6]),
            let date = digitsValue(chars[0..<6]), let individual = digitsValue(chars[7..<10]),
            individual >= 2,
            isRealDate(year: century + date % 100, month: date / 100 % 100, day: date / 10_000)
        else { return false }
        let number = (date * 1000 + individual) % 31
        return chars[10] == finnishCheckCharacters[number]
    }

    /// Whether `code` is a valid Swedish personnummer or samordningsnummer in one of the forms
    /// `YYMMDD-NNNC`, `YYMMDD+NNNC`, `YYMMDDNNNC`, `YYYYMMDDNNNC` or `YYYYMMDD-NNNC`: a real date
    /// (the day plus 60 for a samordningsnummer) and the Luhn check digit over the last ten digits.
    public static func isValidSwedish(_ code: String) -> Bool {
        var code = code
        return code.withUTF8 { isValidSwedish(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// ``isValidSwedish(_:)`` of a code's UTF-8 bytes.
    static func isValidSwedish(utf8 code: UnsafeRawBufferPointer) -> Bool {
        guard (10...13).contains(code.count) else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 13) { buffer in
            // The digits without the separator of the 11- and 13-character forms.
            var count = 0
            for (index, byte) in code.enumerated() {
                if (code.count == 11 || code.count == 13) && index == code.count - 5 {
                    guard byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") else { return false }
                    continue
                }
                buffer[count] = byte
                count += 1
            }
            let chars = UnsafeBufferPointer(rebasing: buffer[..<count])
            guard count == 10 || count == 12, chars.allSatisfy(isDigit) else { return false }
            let ten = chars.suffix(10)
            let month = digitsValue(ten.dropFirst(2).prefix(2))!
            var day = digitsValue(ten.dropFirst(4).prefix(2))!
            if day > 60 { day -= 60 }
            let year: Int
            if count == 12 {
                year = digitsValue(chars.prefix(4))!
            } else {
                // Without a century, accept the date if it exists in either 1900s or 2000s (29 February).
                let yy = digitsValue(ten.prefix(2))!
                year = isRealDate(year: 2000 + yy, month: month, day: day) ? 2000 + yy : 1900 + yy
            }
            return isRealDate(year: year, month: month, day: day) && luhnValid(ten)
        }
    }

    /// Whether an ASCII value is a valid identity code of either country (``ValueType/personalIdentityCode``:
    /// Finnish in any letter case).
    static func isValid(ascii code: UnsafeRawBufferPointer) -> Bool {
        guard code.count == 11 else { return isValidSwedish(utf8: code) }
        return withUppercased(code) { isValidFinnish(utf8: $0) } || isValidSwedish(utf8: code)
    }

    /// The identity index's spelling of a valid ASCII code (docs/FORMAT.md, "The identity index"):
    /// `FI:` and the Finnish code in upper case, or `SE:` and the Swedish number's last ten digits.
    /// `IdentityIndex.normalise` is the same for any `String`.
    static func normalised(ascii code: UnsafeRawBufferPointer) -> [UInt8]? {
        if code.count == 11, let finnish = withUppercased(code, { isValidFinnish(utf8: $0) ? Array($0) : nil }) {
            return Array("FI:".utf8) + finnish
        }
        guard isValidSwedish(utf8: code) else { return nil }
        return Array("SE:".utf8) + code.filter(isDigit).suffix(10)
    }

    private static func withUppercased<Result>(
        _ text: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.count) { buffer in
            for (index, byte) in text.enumerated() { buffer[index] = uppercased(byte) }
            return body(UnsafeRawBufferPointer(buffer))
        }
    }

    private static func uppercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
    }

    /// Whether `text` contains something that looks like a Finnish or Swedish identity code: a
    /// Finnish `DDMMYYCNNNK` shape with a plausible date (whatever the check character, since a
    /// mistyped code is still personal data) or a Swedish 10- or 12-digit number, optionally with a
    /// separator, with a plausible date and a valid Luhn digit.
    public static func containsLookalike(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { containsLookalike(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// ``containsLookalike(_:)`` of a text's UTF-8 bytes (letters compared in upper case).
    static func containsLookalike(utf8 chars: UnsafeRawBufferPointer) -> Bool {
        // Both shapes hold at least nine digits; most identifiers (`person-0000003`) have fewer.
        var digits = 0
        for byte in chars where isDigit(byte) { digits += 1 }
        guard digits >= 9 else { return false }
        for start in chars.indices {
            if start + 11 <= chars.count, looksFinnish(UnsafeRawBufferPointer(rebasing: chars[start..<start + 11])) {
                return true
            }
            if looksSwedish(chars, from: start) { return true }
        }
        return false
    }

    private static func looksFinnish(_ window: UnsafeRawBufferPointer) -> Bool {
        guard finnishCentury(uppercased(window[6])) != nil, window[0..<6].allSatisfy(isDigit),
            window[7..<10].allSatisfy(isDigit),
            isDigit(window[10]) || (UInt8(ascii: "A")...UInt8(ascii: "Y")).contains(uppercased(window[10]))
        else { return false }
        let date = digitsValue(window[0..<6])!
        return (1...12).contains(date / 100 % 100) && (1...31).contains(date / 10_000)
    }

    private static func looksSwedish(_ chars: UnsafeRawBufferPointer, from start: Int) -> Bool {
        // Only whole digit runs: a number preceded by a digit is part of a longer number.
        if start > 0 && isDigit(chars[start - 1]) { return false }
        var digits = 0
        var index = start
        while index < chars.count {
            let byte = chars[index]
            if isDigit(byte) {
                digits += 1
                // A run longer than twelve digits can only grow: it is no identity number.
                if digits > 12 { return false }
            } else if (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+"))
                && (digits == 6 || digits == 8)
                && index + 1 < chars.count && isDigit(chars[index + 1])
            {
                // a separator inside the number
            } else {
                break
            }
            index += 1
        }
        guard digits == 10 || digits == 12 else { return false }
        // The run's last ten digits (every non-digit in it is a separator).
        let ten = chars[start..<index].filter(isDigit).suffix(10)
        let month = digitsValue(ten.dropFirst(2).prefix(2))!
        let day = digitsValue(ten.dropFirst(4).prefix(2))!
        return (1...12).contains(month) && ((1...31).contains(day) || (61...91).contains(day)) && luhnValid(ten)
    }

    static func luhnValid(_ digits: some BidirectionalCollection<UInt8>) -> Bool {
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

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func digitsValue(_ digits: some Collection<UInt8>) -> Int? {
        var value = 0
        for byte in digits {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    static func isRealDate(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }
}
