/// An RFC 3339 `date-time`, kept as received (its spelling is part of the event's canonical form)
/// together with the instant it denotes.
public struct Timestamp: Equatable, Sendable {
    public let text: String
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microseconds: Int64

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (a `T`/`t` separator, a `Z`/`z` zone), with
    /// real calendar dates; a leap second (60) is accepted and counted as the next second's start.
    public init?(rfc3339 text: String) {
        var text = text
        guard let microseconds = text.withUTF8({ Self.microseconds(rfc3339: UnsafeRawBufferPointer($0)) }) else {
            return nil
        }
        self.init(text: text, microseconds: microseconds)
    }

    /// A timestamp already parsed by ``microseconds(rfc3339:)``.
    init(text: String, microseconds: Int64) {
        self.text = text
        self.microseconds = microseconds
    }

    /// The instant an RFC 3339 date-time, as UTF-8, denotes (see ``init(rfc3339:)``), or nil.
    static func microseconds(rfc3339 c: UnsafeRawBufferPointer) -> Int64? {
        guard c.count >= 20, c[4] == UInt8(ascii: "-"), c[7] == UInt8(ascii: "-"),
            c[10] == UInt8(ascii: "T") || c[10] == UInt8(ascii: "t"),
            c[13] == UInt8(ascii: ":"), c[16] == UInt8(ascii: ":"),
            let year = PersonalIdentityCode.digitsValue(c[0..<4]),
            let month = PersonalIdentityCode.digitsValue(c[5..<7]),
            let day = PersonalIdentityCode.digitsValue(c[8..<10]),
            let hour = PersonalIdentityCode.digitsValue(c[11..<13]),
            let minute = PersonalIdentityCode.digitsValue(c[14..<16]),
            let second = PersonalIdentityCode.digitsValue(c[17..<19]),
            PersonalIdentityCode.isRealDate(year: year, month: month, day: day),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if c[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100_000
            let start = index
            while index < c.count, PersonalIdentityCode.isDigit(c[index]) {
                fraction += Int64(c[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start, index - start <= 9 else { return nil }
        }
        guard index < c.count else { return nil }
        var offsetMinutes = 0
        if c[index] == UInt8(ascii: "Z") || c[index] == UInt8(ascii: "z") {
            index += 1
        } else if c[index] == UInt8(ascii: "+") || c[index] == UInt8(ascii: "-") {
            guard index + 6 == c.count, c[index + 3] == UInt8(ascii: ":"),
                let offsetHours = PersonalIdentityCode.digitsValue(c[index + 1..<index + 3]),
                let offsetMins = PersonalIdentityCode.digitsValue(c[index + 4..<index + 6]),
                offsetHours <= 23, offsetMins <= 59
            else { return nil }
            offsetMinutes = (offsetHours * 60 + offsetMins) * (c[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == c.count else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return seconds * 1_000_000 + fraction
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's civil_from_days), the
    /// inverse of ``daysSinceEpoch(year:month:day:)``. Inlinable: the CLI's JSON writer spells every
    /// timestamp of an answer through it.
    @inlinable
    public static func civilDate(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The RFC 3339 UTC spelling, with microseconds, of an instant.
    public static func format(microseconds: Int64) -> String {
        let seconds = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        var secs = seconds.quotient
        var micros = seconds.remainder
        if micros < 0 {
            micros += 1_000_000
            secs -= 1
        }
        let days = Int(secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400)
        let secondOfDay = Int(secs - Int64(days) * 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(Int(micros), 6))Z"
    }
}
