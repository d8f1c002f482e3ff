import Lineage

/// A JSON value for the CLI's output, its object members kept in the order written, so that the
/// output reads in the order the contract lists.
indirect enum OutputValue {
    case null
    case bool(Bool)
    case int(Int)
    case uint(UInt64)
    case string(String)
    case array([OutputValue])
    case object([(String, OutputValue)])
    /// A value from the ledger, written in canonical JSON.
    case json(JSONValue)

    static func optional(_ text: String?) -> OutputValue { text.map(OutputValue.string) ?? .null }

    /// Compact JSON, one line.
    var text: String {
        var out: [UInt8] = []
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .int(let number): out += Array(String(number).utf8)
        case .uint(let number): out += Array(String(number).utf8)
        case .string(let string): CanonicalJSON.writeString(string, into: &out)
        case .json(let value): CanonicalJSON.write(value, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                CanonicalJSON.writeString(member.0, into: &out)
                out.append(UInt8(ascii: ":"))
                member.1.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// Writes compact JSON straight into bytes, in the order the caller writes it: for the long
/// answers (`provenance`, `recipients`), where building an ``OutputValue`` tree, then a String, then
/// Data cost more than the query. Strings and ledger values are written by ``CanonicalJSON`` exactly
/// as ``OutputValue`` writes them, so the bytes are the same.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// The last timestamp written and its text: an import's events share their recordedAt.
    private var lastTime: (micros: Int64, text: String)?

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// Punctuation and member names, as they are.
    mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ text: String) { CanonicalJSON.writeString(text, into: &bytes) }

    mutating func optional(_ text: String?) {
        if let text { string(text) } else { literal("null") }
    }

    /// A value from the ledger in canonical JSON, or `null`.
    mutating func value(_ value: JSONValue?) {
        if let value { CanonicalJSON.write(value, into: &bytes) } else { literal("null") }
    }

    mutating func bool(_ flag: Bool) {
        if flag { literal("true") } else { literal("false") }
    }

    /// Decimal digits, as `String(number)` spells them.
    mutating func uint(_ number: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var value = number
            var position = buffer.count
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            } while value > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[position...]))
        }
    }

    /// An instant as `Timestamp.format` spells it (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), in quotes: written
    /// digit by digit for the years 1970 to 9999, through `Timestamp.format` (string interpolation,
    /// several thousand instructions a call) otherwise and for a run of equal instants.
    mutating func time(_ micros: Int64) {
        guard micros >= 0, micros < 253_402_300_800_000_000 else {
            if let lastTime, lastTime.micros == micros {
                string(lastTime.text)
                return
            }
            let text = Timestamp.format(microseconds: micros)
            lastTime = (micros, text)
            string(text)
            return
        }
        let seconds = micros / 1_000_000
        let fraction = Int(micros % 1_000_000)
        let days = Int(seconds / 86_400)
        let secondOfDay = Int(seconds % 86_400)
        let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: days)
        var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &text) { out in
            func digits(_ value: Int, _ width: Int, at offset: Int) {
                var value = value
                for position in stride(from: offset + width - 1, through: offset, by: -1) {
                    out[position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            out[0] = UInt8(ascii: "\"")
            digits(year, 4, at: 1)
            out[5] = UInt8(ascii: "-")
            digits(month, 2, at: 6)
            out[8] = UInt8(ascii: "-")
            digits(day, 2, at: 9)
            out[11] = UInt8(ascii: "T")
            digits(secondOfDay / 3600, 2, at: 12)
            out[14] = UInt8(ascii: ":")
            digits(secondOfDay / 60 % 60, 2, at: 15)
            out[17] = UInt8(ascii: ":")
            digits(secondOfDay % 60, 2, at: 18)
            out[20] = UInt8(ascii: ".")
            digits(fraction, 6, at: 21)
            out[27] = UInt8(ascii: "Z")
            out[28] = UInt8(ascii: "\"")
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: out[..<29]))
        }
    }
}
