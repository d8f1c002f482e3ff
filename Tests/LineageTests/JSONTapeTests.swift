import Testing

@testable import Lineage

/// What parsing a text gives, on either path, in a form that compares byte for byte.
private enum Parsed: Equatable {
    case value(JSONValue, canonical: [UInt8])
    case error(JSONSyntaxError)
}

private func viaTree(_ bytes: [UInt8]) -> Parsed {
    do {
        let value = try JSONParser.parse(bytes)
        return .value(value, canonical: CanonicalJSON.encode(value))
    } catch {
        return .error(error)
    }
}

private func viaTape(_ bytes: [UInt8], _ tape: inout JSONTape, _ writer: inout CanonicalTapeWriter) -> Parsed {
    bytes.withUnsafeBytes { input in
        do throws(JSONSyntaxError) {
            try tape.parse(input)
        } catch {
            return .error(error)
        }
        return tape.withDocument(input) { document in
            writer.write(document)
            return .value(document.value(JSONDocument.root), canonical: writer.withBytes { Array($0) })
        }
    }
}

/// Random JSON texts, written the way feeding systems might: any member order, whitespace, escapes
/// and number spellings, with repeated names and odd characters now and then.
struct JSONTextGenerator {
    var random: TestRandom

    static let names = ["a", "b", "id", "type", "K", "\u{212A}", "é", "e\u{301}", "", "aa", "ab", "\u{7f}", "😀"]
    static let characters: [String] = [
        "a", "Z", "0", " ", "/", "\"", "\\", "\u{0}", "\u{1f}", "\n", "\r", "\t", "\u{7f}", "ä", "€", "😀", "\u{212A}",
        "\u{301}", "\u{2028}",
    ]

    mutating func text(depth: Int = 0) -> String {
        switch random.below(depth > 3 ? 4 : 7) {
        case 0: return random.pick(["true", "false", "null"])
        case 1: return number()
        case 2, 3: return string(of: (0..<random.below(6)).map { _ in random.pick(Self.characters) }.joined())
        case 4:
            return "["
                + (0..<random.below(4)).map { _ in space() + text(depth: depth + 1) + space() }.joined(separator: ",")
                + "]"
        default:
            var members = (0..<random.below(5)).map { _ in random.pick(Self.names) }
            if random.chance(20), let first = members.first { members.append(first) }
            return "{" + space()
                + members.map { string(of: $0) + space() + ":" + space() + text(depth: depth + 1) }.joined(
                    separator: space() + "," + space()) + space() + "}"
        }
    }

    mutating func space() -> String { random.pick(["", "", "", " ", "\n", "\t ", "\r\n"]) }

    mutating func number() -> String {
        var text = random.chance(30) ? "-" : ""
        text += random.chance(30) ? "0" : String(random.below(1_000_000) + 1)
        if random.chance(20) { text += String(repeating: "0", count: random.below(25)) }
        if random.chance(40) { text += "." + String(random.below(10_000)) + (random.chance(30) ? "00" : "") }
        if random.chance(30) {
            text +=
                random.pick(["e", "E"]) + random.pick(["", "+", "-"])
                + String(random.pick([0, 1, 2, 6, 7, 20, 21, 22, 999]))
        }
        return text
    }

    /// A string literal, each character plain or escaped at random.
    mutating func string(of text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n" where random.chance(50): out += "\\n"
            case _ where scalar.value < 0x20 || random.chance(10):
                if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    out += String(format4: 0xD800 + (value >> 10)) + String(format4: 0xDC00 + (value & 0x3FF))
                } else {
                    out += String(format4: scalar.value)
                }
            case "/" where random.chance(50): out += "\\/"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    /// A `\uXXXX` escape.
    init(format4 value: UInt32) {
        let hex = String(value, radix: 16)
        self = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

/// Mutations of valid bytes into nearly valid ones: what the parser's error paths must agree on.
enum ByteMutation {
    static let interesting: [UInt8] =
        Array("{}[],:\"\\ \t\n0123456789eE.-+tfnulaAK/u".utf8) + [
            0x00, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xa4, 0xe2, 0x84, 0xaa, 0xed, 0xa0, 0xf0, 0xf4, 0x90, 0xff,
        ]

    static func mutate(_ bytes: [UInt8], _ random: inout TestRandom) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<(1 + random.below(3)) {
            guard !bytes.isEmpty else { return bytes }
            let index = random.below(bytes.count)
            switch random.below(5) {
            case 0: bytes[index] = random.pick(interesting)
            case 1: bytes.remove(at: index)
            case 2: bytes.insert(random.pick(interesting), at: index)
            case 3: bytes.removeSubrange(index...)
            default:
                let end = min(bytes.count, index + random.below(12))
                bytes.insert(contentsOf: bytes[index..<end], at: index)
            }
        }
        return bytes
    }
}

@Suite("The JSON tape parses exactly as the tree parser")
struct JSONTapeTests {
    @Test("random texts and their mutations: the same values, canonical bytes and errors")
    func randomTexts() {
        var generator = JSONTextGenerator(random: TestRandom(state: 41))
        var random = TestRandom(state: 42)
        var tape = JSONTape()
        var writer = CanonicalTapeWriter()
        var accepted = 0
        for _ in 0..<20_000 {
            let text = Array(generator.space().utf8) + Array(generator.text().utf8) + Array(generator.space().utf8)
            for bytes in [text, ByteMutation.mutate(text, &random)] {
                let expected = viaTree(bytes)
                #expect(viaTape(bytes, &tape, &writer) == expected, "\(bytes)")
                if case .value = expected { accepted += 1 }
            }
        }
        #expect(accepted > 15_000, "too few texts were valid to compare values")
    }

    @Test(
        "edge cases of the grammar",
        arguments: [
            "", " ", "{", "}", "[", "]", "[1,]", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}", "01", "-", "-0", "-01",
            "1.",
            ".5", "1e", "1e+", "1e1001", "1e1000", "1E-1000", "tru", "truex", "nul", "\"\\u12\"", "\"\\ud800\"",
            "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"\\ud83d\\ude00\"", "\"\\ud83d\\\"", "\"\\x\"", "\"abc", "\"\t\"",
            "{\"a\":1,\"a\":2}", "{\"b\":1,\"a\":2,\"b\":3}", "{\"a\":1,\"\\u0061\":2}", "{\"K\":1,\"\u{212A}\":2}",
            "{\"\u{212A}\":1,\"K\":2}", "{\"e\u{301}\":1,\"é\":2}", "{\"é\":1,\"e\u{301}\":2}", "[1] x",
            "123456789012345678901",
            "1234567890123456789012", "0.0000001", "100e-2",
            String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
            String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
            "{\"a\":[{\"b\":{\"b\":1,\"b\":1}}] x",
        ])
    func edgeCases(text: String) {
        var tape = JSONTape()
        var writer = CanonicalTapeWriter()
        let bytes = Array(text.utf8)
        #expect(viaTape(bytes, &tape, &writer) == viaTree(bytes))
    }

    @Test("a byte of 0x80 or more is seen wherever it falls in an eight-byte word")
    func nonASCIIAtEveryPosition() {
        var tape = JSONTape()
        var writer = CanonicalTapeWriter()
        for length in 1...20 {
            for position in 0..<length {
                for odd: [UInt8] in [[0xff], [0x80], [0xc3, 0xa4], [0xed, 0xa0, 0x80]] {
                    var string = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    string.replaceSubrange(position...position, with: odd)
                    let bytes = [0x22] + string + [0x22]
                    #expect(viaTape(bytes, &tape, &writer) == viaTree(bytes), "\(bytes)")
                }
            }
        }
    }

    @Test("UTF-8 is validated as String(validating:) does")
    func utf8Validation() {
        var random = TestRandom(state: 7)
        let pieces: [[UInt8]] = [
            [0x41], [0x7f], [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xc2, 0x80], [0xdf, 0xbf], [0xe0, 0x9f, 0x80],
            [0xe0, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xef, 0xbf, 0xbf], [0xf0, 0x8f, 0x80, 0x80],
            [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80],
            [0xff], [0xe2], [0xe2, 0x82], [0xf0, 0x9f], [0xc3],
        ]
        for _ in 0..<50_000 {
            var bytes: [UInt8] = []
            for _ in 0..<random.below(5) {
                bytes += random.chance(80) ? random.pick(pieces) : [UInt8(truncatingIfNeeded: random.next())]
            }
            let valid = bytes.withUnsafeBytes { UTF8Validation.isValid($0) }
            #expect(valid == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }
}

@Suite("Names looked up by bytes are found as their dictionary finds them")
struct NameIndexTests {
    @Test func everyVocabularyWordAndItsNearMisses() {
        let vocabulary = Vocabulary.standard
        var random = TestRandom(state: 3)
        let words =
            Array(vocabulary.fields.keys) + Array(vocabulary.partyKinds.keys) + Array(vocabulary.purposes)
            + Array(vocabulary.legalBases) + Array(vocabulary.safeguards) + Array(Countries.iso3166)
            + Array(DomainEvent.channels)
        var texts = words + ["", "\u{212A}E", "\u{212A}Z", "ke", "K", "na\u{301}me", "n\u{e4}me"]
        for _ in 0..<5_000 {
            var scalars = Array(random.pick(words).unicodeScalars)
            let index = random.below(scalars.count)
            scalars[index] = random.pick(["a", "_", "Z", "\u{212A}", "\u{e4}", "\u{301}", "K"])
            texts.append(String(String.UnicodeScalarView(scalars)))
        }
        for text in texts {
            var utf8 = text
            utf8.withUTF8 { bytes in
                let bytes = UnsafeRawBufferPointer(bytes)
                #expect(vocabulary.fieldIndex.entry(bytes)?.name == vocabulary.fields[text].map { _ in text })
                #expect(vocabulary.partyKindIndex.contains(bytes) == (vocabulary.partyKinds[text] != nil))
                #expect(vocabulary.purposeIndex.contains(bytes) == vocabulary.purposes.contains(text))
                #expect(vocabulary.legalBasisIndex.contains(bytes) == vocabulary.legalBases.contains(text))
                #expect(vocabulary.safeguardIndex.contains(bytes) == vocabulary.safeguards.contains(text))
                #expect(Countries.index.contains(bytes) == Countries.iso3166.contains(text), "\(text)")
                #expect(DomainEvent.channelIndex.contains(bytes) == DomainEvent.channels.contains(text))
            }
        }
    }
}
