/// The check computations of the identity numbers the workload writes: Finnish personal identity
/// codes (henkilötunnus), Swedish personal identity numbers (personnummer, samordningsnummer) and
/// IBANs. The workload must produce values the ledger accepts as valid, so each is computed the way
/// the issuing authority defines it, not approximated.
public enum IdentityCodes {
    /// The 31 check characters of a henkilötunnus, indexed by the remainder (G, I, O, Q and Z are
    /// left out so that they cannot be confused with digits).
    static let finnishCheckCharacters = Array("0123456789ABCDEFHJKLMNPRSTUVWXY".utf8)

    /// The check character of a henkilötunnus: the nine digits DDMMYYNNN read as one number, mod 31.
    public static func finnishCheckCharacter(day: Int, month: Int, year: Int, individual: Int) -> UInt8 {
        let number = ((day * 100 + month) * 100 + year % 100) * 1000 + individual
        return finnishCheckCharacters[number % 31]
    }

    /// The century sign of a henkilötunnus. Since 2023 a code may use an additional sign for the same
    /// century (Y, X, W, V, U for the 1900s, B–F for the 2000s) when the usual one is exhausted;
    /// `variant` 0 gives the usual sign, 1–5 the additional ones.
    public static func finnishCenturySign(year: Int, variant: Int) -> UInt8 {
        switch year {
        case ..<1900: return UInt8(ascii: "+")
        case ..<2000: return twentiethCenturySigns[variant % 6]
        default: return twentyFirstCenturySigns[variant % 6]
        }
    }

    private static let twentiethCenturySigns = Array("-YXWVU".utf8)
    private static let twentyFirstCenturySigns = Array("ABCDEF".utf8)

    /// The Luhn digit that completes the nine digits YYMMDDNNN of a personnummer, given as one
    /// number: every other digit doubled starting from the rightmost (which is the leftmost of nine),
    /// the digits of the products summed; the check makes the total a multiple of 10.
    public static func luhnCheckDigit(nineDigits: Int) -> Int {
        var sum = 0
        var rest = nineDigits
        for position in 0..<9 {
            var value = rest % 10 * (position % 2 == 0 ? 2 : 1)
            if value > 9 { value -= 9 }
            sum += value
            rest /= 10
        }
        return (10 - sum % 10) % 10
    }

    /// The two check digits of an IBAN (ISO 13616): the BBAN, then the country code with letters as
    /// numbers (A = 10 … Z = 35), then "00", taken mod 97; the check is 98 minus that.
    public static func ibanCheckDigits(country: [UInt8], bban: [UInt8]) -> Int {
        var remainder = 0
        func add(_ byte: UInt8) {
            if byte >= UInt8(ascii: "A") {
                remainder = (remainder * 100 + Int(byte - UInt8(ascii: "A")) + 10) % 97
            } else {
                remainder = (remainder * 10 + Int(byte - UInt8(ascii: "0"))) % 97
            }
        }
        for byte in bban { add(byte) }
        for byte in country { add(byte) }
        add(UInt8(ascii: "0"))
        add(UInt8(ascii: "0"))
        return 98 - remainder
    }
}
