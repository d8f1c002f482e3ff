import Foundation

/// A small deterministic generator (SplitMix64), so every run feeds the same events.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A JSON value as the tests write it. A number carries its canonical spelling and another spelling
/// of the same decimal value, so that an event can be re-sent written differently.
enum JValue: Sendable {
    case string(String)
    case number(plain: String, alternate: String)
    case bool(Bool)
    case null
    case array([JValue])
    case object([(String, JValue)])

    static func integer(_ value: Int) -> JValue { .number(plain: String(value), alternate: String(value)) }
}

/// Three ways to write a `JValue`: compact in the given member order; a variant with the members in
/// reverse order, whitespace everywhere, every non-ASCII character and some ASCII ones escaped, and
/// the numbers' other spellings; and the ledger's canonical form as docs/FORMAT.md defines it.
enum JSONText {
    static func compact(_ value: JValue) -> String {
        var out = ""
        write(value, variant: false, into: &out)
        return out
    }

    static func variant(_ value: JValue) -> String {
        var out = ""
        write(value, variant: true, into: &out)
        return out
    }

    private static func write(_ value: JValue, variant: Bool, into out: inout String) {
        switch value {
        case .string(let text): writeString(text, variant: variant, into: &out)
        case .number(let plain, let alternate): out += variant ? alternate : plain
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        case .array(let elements):
            out += variant ? "[ " : "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += variant ? " ,\t" : "," }
                write(element, variant: variant, into: &out)
            }
            out += variant ? " ]" : "]"
        case .object(let members):
            out += variant ? "{  " : "{"
            for (index, member) in (variant ? Array(members.reversed()) : members).enumerated() {
                if index > 0 { out += variant ? " ,  " : "," }
                writeString(member.0, variant: variant, into: &out)
                out += variant ? " :\t" : ":"
                write(member.1, variant: variant, into: &out)
            }
            out += variant ? "\t}" : "}"
        }
    }

    private static func writeString(_ text: String, variant: Bool, into out: inout String) {
        out += "\""
        // Fast path (the big files are plain ASCII): nothing to escape.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c && $0 != 0x2f }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += variant ? "\\u0022" : "\\\""
            case "\\": out += "\\\\"
            case "/": out += variant ? "\\/" : "/"
            case "\n": out += "\\n"
            case "\t": out += variant ? "\\u0009" : "\\t"
            default:
                if scalar.value < 0x20 || (variant && scalar.value > 0x7e) {
                    for unit in String(scalar).utf16 { out += String(format: "\\u%04X", unit) }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// The canonical bytes of docs/FORMAT.md: members sorted by the UTF-8 bytes of their keys, no
    /// whitespace, minimal escapes, numbers in their canonical spelling.
    static func canonical(_ value: JValue) -> [UInt8] {
        var out: [UInt8] = []
        writeCanonical(value, into: &out)
        return out
    }

    private static func writeCanonical(_ value: JValue, into out: inout [UInt8]) {
        switch value {
        case .string(let text): writeCanonicalString(text, into: &out)
        case .number(let plain, _): out += Array(plain.utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .null: out += Array("null".utf8)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeCanonical(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let sorted = members.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeCanonicalString(member.0, into: &out)
                out.append(UInt8(ascii: ":"))
                writeCanonical(member.1, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeCanonicalString(_ text: String, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case 0x22: out += [0x5c, 0x22]
            case 0x5c: out += [0x5c, 0x5c]
            case 0x08: out += Array("\\b".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x0a: out += Array("\\n".utf8)
            case 0x0c: out += Array("\\f".utf8)
            case 0x0d: out += Array("\\r".utf8)
            case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// One input event of the tests: the envelope the brief describes, with a payload of varied content.
struct TestEvent: Sendable {
    /// The id as written in the input (some are uppercase).
    var id: String
    var type = "data.ingested"
    var occurredAt = "2026-01-02T10:00:00Z"
    var subject: String?
    var schemaVersion = 1
    var payload: [(String, JValue)]

    /// The id as the ledger reports it.
    var canonicalID: String { id.lowercased() }

    func envelope(id writtenID: String) -> JValue {
        var members: [(String, JValue)] = [
            ("id", .string(writtenID)), ("type", .string(type)), ("occurredAt", .string(occurredAt)),
        ]
        if let subject { members.append(("subject", .string(subject))) }
        members.append(("schemaVersion", .integer(schemaVersion)))
        members.append(("payload", .object(payload)))
        return .object(members)
    }

    /// The line as first sent.
    var line: String { JSONText.compact(envelope(id: id)) }

    /// The same event written differently: members reordered (at every level), extra whitespace,
    /// escapes, other number spellings, and the id in the other letter case.
    var variantLine: String {
        let flipped = id == id.lowercased() ? id.uppercased() : id.lowercased()
        return " \t" + JSONText.variant(envelope(id: flipped)) + "   \r"
    }

    /// The canonical bytes of the event as received (for an event without items, what is stored).
    var canonical: [UInt8] { JSONText.canonical(envelope(id: canonicalID)) }

    /// The `payload.items` as (field, value) pairs.
    var items: [(field: String, value: String)] {
        guard let itemsValue = payload.first(where: { $0.0 == "items" })?.1, case .array(let items) = itemsValue else {
            return []
        }
        return items.compactMap { item in
            guard case .object(let members) = item,
                case .string(let field)? = members.first(where: { $0.0 == "field" })?.1,
                case .string(let value)? = members.first(where: { $0.0 == "value" })?.1
            else { return nil }
            return (field, value)
        }
    }

    /// The same event with the value of its first item replaced.
    func replacingFirstValue(with value: String) -> TestEvent {
        var copy = self
        guard let index = payload.firstIndex(where: { $0.0 == "items" }), case .array(var items) = payload[index].1,
            case .object(var first)? = items.first
        else { return copy }
        first = first.map { $0.0 == "value" ? ("value", .string(value)) : $0 }
        items[0] = .object(first)
        copy.payload[index] = ("items", .array(items))
        return copy
    }
}

enum Fixtures {
    /// A random (version 4) UUID drawn from `generator`, lowercase.
    static func uuid(_ generator: inout SplitMix64) -> String {
        let high = generator.next()
        let low = generator.next()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift)))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift)))
        }
        bytes[6] = bytes[6] & 0x0f | 0x40
        bytes[8] = bytes[8] & 0x3f | 0x80
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static let legalBases = ["legitimate_interests", "legal_obligation", "contract", "consent"]
    static let purposes = ["collection_of_overdue_claims", "identification_and_contact"]

    /// A `party.registered` event (docs/EVENTS.md): no subject, dated before every data event.
    static func registration(party: String, id: String, kind: String = "controller_internal") -> TestEvent {
        TestEvent(
            id: id, type: "party.registered", occurredAt: "2026-01-01T00:00:00Z", subject: nil,
            payload: [
                ("party", .string(party)), ("kind", .string(kind)),
                ("name", .string("Perintä \"Oy\" / Ab \\ \(party)")), ("country", .string("FI")),
            ])
    }

    /// A valid `data.ingested` payload from `source` with the given items (field, value).
    static func ingestion(source: String, items: [(String, String)], extra: [(String, JValue)] = []) -> [(
        String, JValue
    )] {
        [
            ("source", .string(source)),
            ("items", .array(items.map { .object([("field", .string($0.0)), ("value", .string($0.1))]) })),
            ("legalBasis", .string(legalBases[0])), ("purpose", .string(purposes[0])),
        ] + extra
    }

    /// `count` events, the same ones for the same seed: first the registration of the party they come
    /// from, then `data.ingested` events about `subjects` people. Every seventh id is written in
    /// uppercase. `rich` events carry up to five items (unicode, quotes, backslashes, slashes,
    /// newlines and tabs in the values), a case and a source reference; plain ones one e-mail item,
    /// for the big files.
    static func events(count: Int, seed: UInt64, subjects: Int = 500, rich: Bool = true) -> [TestEvent] {
        var generator = SplitMix64(seed: seed)
        let party = "source-\(String(seed, radix: 16))"
        guard count > 0 else { return [] }
        var events = [registration(party: party, id: uuid(&generator))]
        events.reserveCapacity(count)
        let names = [
            "Åsa Öberg", "Matti \"Masa\" Meikäläinen", "Back\\slash / Slash", "Zoë 😀 Ünïcödé", "Jean-Luc O'Neill",
            "李小龍",
        ]
        for index in 1..<count {
            var id = uuid(&generator)
            if index % 7 == 3 { id = id.uppercased() }
            let subject = "person-\(Int.random(in: 0..<subjects, using: &generator))"
            let token = String(generator.next() & 0xffff_ffff_ffff | 0x1_0000_0000_0000, radix: 16)
            var items = [("email", "p\(token)@example.com")]
            guard rich else {
                events.append(TestEvent(id: id, subject: subject, payload: ingestion(source: party, items: items)))
                continue
            }
            if index % 2 == 0 { items.append(("name", names[index % names.count] + " \(token)")) }
            if index % 3 == 0 {
                items.append(("address", "Storgatan \(index % 90 + 1)\nSE-111 22 Stockholm\t(c/o \(token))"))
            }
            if index % 4 != 1 {
                let cents = Int.random(in: 0..<100, using: &generator)
                items.append(
                    (
                        "claim_amount",
                        "\(Int.random(in: 1..<100_000, using: &generator)).\(cents < 10 ? "0" : "")\(cents)"
                    ))
            }
            if index % 5 == 0 { items.append(("income", "\(Int.random(in: 1_000..<9_000, using: &generator))")) }
            var extra: [(String, JValue)] = []
            if index % 2 == 1 { extra.append(("case", .string("case-\(index % 97)"))) }
            if index % 3 == 2 {
                // Identifiers are refused when they contain anything shaped like an identity code, and
                // hex digits can form one: the reference is written in letters.
                let letters = String(
                    decoding: token.utf8.map {
                        ($0 <= UInt8(ascii: "9") ? $0 - UInt8(ascii: "0") : $0 - 87) + UInt8(ascii: "g")
                    },
                    as: UTF8.self)
                extra.append(("sourceReference", .string("ref/\(letters)")))
            }
            var payload = ingestion(source: party, items: items, extra: extra)
            payload[2] = ("legalBasis", .string(legalBases[index % legalBases.count]))
            payload[3] = ("purpose", .string(purposes[index % purposes.count]))
            events.append(TestEvent(id: id, subject: subject, payload: payload))
        }
        return events
    }

    /// A marker string that must never show up in any output.
    static func marker() -> String { "MARKER-\(UUID().uuidString)" }
}
