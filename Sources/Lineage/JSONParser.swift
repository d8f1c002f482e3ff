/// Why a line is not the JSON the ledger accepts. `offset` is a byte offset into the line; no
/// message carries any part of the input.
public struct JSONSyntaxError: Error, Equatable, Sendable {
    public enum Kind: String, Sendable {
        case invalid = "json.invalid"
        case invalidUTF8 = "json.invalid_utf8"
        case duplicateKey = "json.duplicate_key"
        case numberOutOfRange = "json.number_out_of_range"
        case tooDeep = "json.too_deep"
    }

    public let kind: Kind
    public let offset: Int
    public let detail: String
}

/// A strict RFC 8259 parser working on bytes. It exists (rather than Foundation's
/// `JSONSerialization`) because the ledger needs exact decimal numbers, duplicate-key detection and a
/// canonical form computed from parsed values, and because parsing is the import's hottest step.
public struct JSONParser {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var depth = 0
    private static let maxDepth = 64
    /// Exponents beyond this are refused rather than expanded into megabytes of zeros.
    private static let maxExponent = 1_000

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Parses one complete JSON text (surrounding whitespace allowed).
    public static func parse(_ input: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: input)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.position == input.count else { throw parser.error(.invalid, "unexpected data after the value") }
        return value
    }

    public static func parse(_ input: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        let result: Result<JSONValue, JSONSyntaxError> = input.withUnsafeBytes { buffer in
            Result { () throws(JSONSyntaxError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }

    private func error(_ kind: JSONSyntaxError.Kind, _ detail: String) -> JSONSyntaxError {
        JSONSyntaxError(kind: kind, offset: position, detail: detail)
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d { position += 1 }
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard let byte = current else { throw error(.invalid, "unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error(.invalid, "unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error(.invalid, "unexpected end of input") }
        for index in 0..<count where bytes[position + index] != literal.utf8Start[index] {
            throw error(.invalid, "unexpected character")
        }
        position += count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw error(.tooDeep, "nested more than \(Self.maxDepth) levels") }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        let start = position
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(JSONObject([])!)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error(.invalid, "expected a member name") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error(.invalid, "expected ':'") }
            position += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                guard let object = JSONObject(members) else {
                    throw JSONSyntaxError(kind: .duplicateKey, offset: start, detail: "an object repeats a member name")
                }
                return .object(object)
            default: throw error(.invalid, "expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array([])
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(elements)
            default: throw error(.invalid, "expected ',' or ']'")
            }
        }
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes, so the bytes between the quotes are the string.
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw error(.invalid, "unescaped control character in a string") }
            position += 1
        }
        guard let stop = current else { throw error(.invalid, "unterminated string") }
        if stop == UInt8(ascii: "\"") {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
            // ASCII is valid UTF-8 as it stands; the generic validating initialiser is costly enough
            // (a metadata lookup per call) to show in every profile of the import and the queries.
            if !slice.contains(where: { $0 >= 0x80 }) {
                position += 1
                return String(decoding: slice, as: UTF8.self)
            }
            guard let string = String(validating: slice, as: UTF8.self) else {
                throw JSONSyntaxError(kind: .invalidUTF8, offset: start, detail: "a string is not valid UTF-8")
            }
            position += 1
            return string
        }
        var utf8 = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        while true {
            guard let byte = current else { throw error(.invalid, "unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw JSONSyntaxError(kind: .invalidUTF8, offset: start, detail: "a string is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                position += 1
                try parseEscape(into: &utf8)
            case 0..<0x20:
                throw error(.invalid, "unescaped control character in a string")
            default:
                utf8.append(byte)
                position += 1
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONSyntaxError) {
        guard let byte = current else { throw error(.invalid, "unterminated escape") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""): utf8.append(0x22)
        case UInt8(ascii: "\\"): utf8.append(0x5c)
        case UInt8(ascii: "/"): utf8.append(0x2f)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0c)
        case UInt8(ascii: "n"): utf8.append(0x0a)
        case UInt8(ascii: "r"): utf8.append(0x0d)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard current == UInt8(ascii: "\\"), position + 1 < bytes.count,
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw error(.invalidUTF8, "a lone surrogate escape") }
                position += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error(.invalidUTF8, "a lone surrogate escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error(.invalidUTF8, "a lone surrogate escape")
            }
            utf8.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw error(.invalid, "unknown escape")
        }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error(.invalid, "unterminated escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error(.invalid, "bad \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Reads an RFC 8259 number and returns its canonical spelling (``CanonicalJSON/number``).
    private mutating func parseNumber() throws(JSONSyntaxError) -> String {
        var negative = false
        if current == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        var digits: [UInt8] = []
        guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw error(.invalid, "a number needs a digit")
        }
        if first == UInt8(ascii: "0") {
            position += 1
            digits.append(first)
        } else {
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                digits.append(byte)
                position += 1
            }
        }
        var exponent = 0
        if current == UInt8(ascii: ".") {
            position += 1
            var fractionDigits = 0
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                digits.append(byte)
                fractionDigits += 1
                position += 1
            }
            guard fractionDigits > 0 else { throw error(.invalid, "a fraction needs a digit") }
            exponent -= fractionDigits
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            var exponentNegative = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                exponentNegative = current == UInt8(ascii: "-")
                position += 1
            }
            var value = 0
            var exponentDigits = 0
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                if value <= Self.maxExponent { value = value * 10 + Int(byte - UInt8(ascii: "0")) }
                exponentDigits += 1
                position += 1
            }
            guard exponentDigits > 0 else { throw error(.invalid, "an exponent needs a digit") }
            guard value <= Self.maxExponent else {
                throw error(.numberOutOfRange, "an exponent beyond \(Self.maxExponent)")
            }
            exponent += exponentNegative ? -value : value
        }
        return CanonicalJSON.number(negative: negative, digits: digits, exponent: exponent)
    }
}
