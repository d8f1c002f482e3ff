/// Who a person is: name, sex, birth date, identity code, phone, e-mail, bank account and the traits
/// that decide which parts of collection they meet. All of it is a function of the workload's seed
/// and the person's index, recomputed whenever an event needs it, so that a person costs no memory
/// for it and every event about them agrees on it. Only the address changes over time: it is a
/// function of a version number the person's state keeps.
struct PersonIdentity {
    let swedish: Bool
    let female: Bool
    let birthYear: Int
    let birthMonth: Int
    let birthDay: Int
    /// Whose claims reach the debt-collection courts and enforcement.
    let legalTrack: Bool
    /// Has a vehicle in the Finnish register (Traficom).
    let ownsVehicle: Bool
    /// Has a guardian or an authorised agent.
    let hasRepresentative: Bool
    /// Has lived or worked abroad, so that foreign agents take part in their cases.
    let abroad: Bool
    /// Has complained to a data protection authority.
    let complainant: Bool
    private let seed: UInt64
    private let first: Int
    private let last: Int
    private let individual: Int
    private let codeForm: Int
    private let coordination: Bool
    private let phonePrefix: Int
    private let phoneNumber: Int
    private let emailForm: Int
    private let emailDomain: Int

    private static let finnishPhonePrefixes: [StaticString] = ["40", "41", "44", "45", "46", "50"]
    private static let swedishPhonePrefixes: [StaticString] = ["70", "72", "73", "76", "79"]
    private static let emailDomains: [StaticString] = [
        "example.fi", "example.se", "example.com", "example.net", "mail.example.fi", "posti.example.org",
    ]
    private static let finnishBanks: [StaticString] = ["1", "2", "3", "4", "5", "6", "8"]
    private static let swedishBanks: [StaticString] = ["500", "800", "300", "600", "912", "957"]

    init(seed workloadSeed: UInt64, index: Int, startYear: Int) {
        seed = SplitMix64.mix(workloadSeed ^ SplitMix64.mix(UInt64(index) &+ 0x5EED))
        var random = SplitMix64(seed: seed)
        let tables = NameTables.shared
        swedish = random.percent(25)
        female = random.percent(50)
        if swedish {
            first = random.below(female ? tables.swedishFemale.count : tables.swedishMale.count)
            last = random.below(tables.swedishSurnames.count)
        } else {
            first = random.below(female ? tables.finnishFemale.count : tables.finnishMale.count)
            last = random.below(tables.finnishSurnames.count)
        }
        // Debtors are adults, most of them between 30 and 65: the sum of two uniform draws.
        birthYear = startYear - 19 - random.below(33) - random.below(34)
        birthMonth = 1 + random.below(12)
        birthDay = 1 + random.below(CivilCalendar.daysInMonth(year: birthYear, month: birthMonth))
        // The individual number carries the sex in its parity (odd for men) in both countries.
        var number = swedish ? random.below(1000) : 2 + random.below(898)
        if (number % 2 == 0) != female { number += number >= (swedish ? 999 : 899) ? -1 : 1 }
        individual = number
        codeForm = random.below(100)
        coordination = swedish && random.percent(2)
        phonePrefix = random.below(swedish ? Self.swedishPhonePrefixes.count : Self.finnishPhonePrefixes.count)
        phoneNumber = random.below(10_000_000)
        emailForm = random.below(100)
        emailDomain = random.below(Self.emailDomains.count)
        legalTrack = random.percent(12)
        ownsVehicle = !swedish && random.percent(35)
        hasRepresentative = random.percent(5)
        abroad = random.percent(6)
        complainant = random.percent(3)
    }

    private var tables: NameTables { NameTables.shared }

    /// The given name and surname.
    func writeName(to out: inout EventEncoder) {
        out.text(firstName)
        out.byte(UInt8(ascii: " "))
        out.text(swedish ? tables.swedishSurnames[last] : tables.finnishSurnames[last])
    }

    var firstName: [UInt8] {
        swedish
            ? (female ? tables.swedishFemale[first] : tables.swedishMale[first])
            : (female ? tables.finnishFemale[first] : tables.finnishMale[first])
    }

    /// A henkilötunnus `DDMMYYCNNNK`, or a personnummer in one of the forms in use: `YYMMDD-NNNC`
    /// most often, `YYYYMMDDNNNC` as systems store it, now and then `YYYYMMDD-NNNC`; a samordningsnummer
    /// (the day plus 60) for a few people without a Swedish registration.
    func writeIdentityCode(to out: inout EventEncoder) {
        if swedish {
            let day = birthDay + (coordination ? 60 : 0)
            let nine = ((birthYear % 100 * 100 + birthMonth) * 100 + day) * 1000 + individual
            if codeForm >= 60 { out.digits(birthYear / 100, width: 2) }
            out.digits(birthYear % 100, width: 2)
            out.digits(birthMonth, width: 2)
            out.digits(day, width: 2)
            if codeForm < 60 || codeForm >= 90 { out.byte(UInt8(ascii: "-")) }
            out.digits(individual, width: 3)
            out.digits(IdentityCodes.luhnCheckDigit(nineDigits: nine))
        } else {
            out.digits(birthDay, width: 2)
            out.digits(birthMonth, width: 2)
            out.digits(birthYear % 100, width: 2)
            // The additional century signs of 2023 are still rare: one code in fifty.
            out.byte(IdentityCodes.finnishCenturySign(year: birthYear, variant: codeForm < 98 ? 0 : 1 + codeForm % 5))
            out.digits(individual, width: 3)
            out.byte(
                IdentityCodes.finnishCheckCharacter(
                    day: birthDay, month: birthMonth, year: birthYear, individual: individual))
        }
    }

    func writeBirthDate(to out: inout EventEncoder) {
        out.date(days: CivilCalendar.days(year: birthYear, month: birthMonth, day: birthDay))
    }

    /// The address the person has at `version` (0 first, one more for each move).
    func writeAddress(version: Int, to out: inout EventEncoder) {
        var random = SplitMix64(seed: SplitMix64.mix(seed &+ UInt64(version) &* 0x9E37_79B9))
        if swedish {
            out.text(random.element(of: tables.swedishStreets))
            out.byte(UInt8(ascii: " "))
            out.digits(1 + random.below(80))
            if random.percent(40) {
                out.raw(" lgh ")
                out.digits(1001 + random.below(7) * 100 + random.below(4))
            }
            let town = random.element(of: tables.swedishTowns)
            out.raw(", ")
            out.text(town.postcode)
            out.byte(UInt8(ascii: " "))
            out.text(town.name)
        } else {
            out.text(random.element(of: tables.finnishStreets))
            out.byte(UInt8(ascii: " "))
            out.digits(1 + random.below(120))
            if random.percent(60) {
                out.byte(UInt8(ascii: " "))
                out.byte(UInt8(ascii: "A") + UInt8(random.below(6)))
                out.byte(UInt8(ascii: " "))
                out.digits(1 + random.below(60))
            }
            let town = random.element(of: tables.finnishTowns)
            out.raw(", ")
            out.text(town.postcode)
            out.byte(UInt8(ascii: " "))
            out.text(town.name)
        }
    }

    /// A mobile number as people write it: `+358 40 123 4567`, `+46 70 123 45 67`.
    func writePhone(to out: inout EventEncoder) {
        if swedish {
            out.raw("+46 ")
            out.raw(Self.swedishPhonePrefixes[phonePrefix])
            out.byte(UInt8(ascii: " "))
            out.digits(phoneNumber / 10_000, width: 3)
            out.byte(UInt8(ascii: " "))
            out.digits(phoneNumber / 100 % 100, width: 2)
            out.byte(UInt8(ascii: " "))
            out.digits(phoneNumber % 100, width: 2)
        } else {
            out.raw("+358 ")
            out.raw(Self.finnishPhonePrefixes[phonePrefix])
            out.byte(UInt8(ascii: " "))
            out.digits(phoneNumber / 10_000, width: 3)
            out.byte(UInt8(ascii: " "))
            out.digits(phoneNumber % 10_000, width: 4)
        }
    }

    /// `first.last@…`, `first.last74@…` or `flast@…`, in ASCII.
    func writeEmail(to out: inout EventEncoder) {
        let firstASCII =
            swedish
            ? (female ? tables.swedishFemaleASCII[first] : tables.swedishMaleASCII[first])
            : (female ? tables.finnishFemaleASCII[first] : tables.finnishMaleASCII[first])
        let lastASCII = swedish ? tables.swedishSurnamesASCII[last] : tables.finnishSurnamesASCII[last]
        if emailForm < 20 {
            out.byte(firstASCII[0])
        } else {
            out.text(firstASCII)
            out.byte(UInt8(ascii: "."))
        }
        out.text(lastASCII)
        if emailForm >= 55 { out.digits(birthYear % 100 + emailForm % 7, width: 2) }
        out.byte(UInt8(ascii: "@"))
        out.raw(Self.emailDomains[emailDomain])
    }

    /// A Finnish (18 characters) or Swedish (24 characters) IBAN in its electronic form.
    func writeBankAccount(to out: inout EventEncoder) {
        var random = SplitMix64(seed: seed ^ 0xBA4C)
        var bban: [UInt8] = []
        if swedish {
            Self.swedishBanks[random.below(Self.swedishBanks.count)].withUTF8Buffer { bban.append(contentsOf: $0) }
        } else {
            Self.finnishBanks[random.below(Self.finnishBanks.count)].withUTF8Buffer { bban.append(contentsOf: $0) }
        }
        while bban.count < (swedish ? 20 : 14) { bban.append(UInt8(ascii: "0") + UInt8(random.below(10))) }
        let country: [UInt8] =
            swedish ? [UInt8(ascii: "S"), UInt8(ascii: "E")] : [UInt8(ascii: "F"), UInt8(ascii: "I")]
        out.raw(country)
        out.digits(IdentityCodes.ibanCheckDigits(country: country, bban: bban), width: 2)
        out.raw(bban)
    }

    /// A relative's or guardian's name: the person's surname with another given name.
    func writeRelativeName(to out: inout EventEncoder, pick: Int) {
        let names =
            swedish
            ? (pick % 2 == 0 ? tables.swedishFemale : tables.swedishMale)
            : (pick % 2 == 0 ? tables.finnishFemale : tables.finnishMale)
        out.text(names[pick % names.count])
        out.byte(UInt8(ascii: " "))
        out.text(swedish ? tables.swedishSurnames[last] : tables.finnishSurnames[last])
    }
}
