import Testing

@testable import Lineage

@Suite("Canonical JSON")
struct CanonicalJSONTests {
    func canonical(_ text: String) throws -> String {
        String(decoding: CanonicalJSON.encode(try JSONParser.parse(Array(text.utf8))), as: UTF8.self)
    }

    @Test func sortsMembersAndDropsWhitespace() throws {
        #expect(
            try canonical(#" { "b" : 1 , "a" : [ true , null , { "d":1,"c":2 } ] } "#)
                == #"{"a":[true,null,{"c":2,"d":1}],"b":1}"#)
    }

    @Test(
        "numbers keep their exact decimal value in one spelling",
        arguments: [
            ("12.10", "12.1"), ("1.21e1", "12.1"), ("0.0", "0"), ("-0", "0"), ("100", "100"), ("1e2", "100"),
            ("1E+2", "100"), ("0.000001", "0.000001"), ("0.0000001", "1e-7"),
            ("123456789012345678901234", "1.23456789012345678901234e+23"),
            ("-5.50", "-5.5"), ("1e21", "1e+21"), ("1e20", "100000000000000000000"), ("0.5e-3", "0.0005"),
            ("12345678901234567890.5", "12345678901234567890.5"),
        ])
    func numbers(input: String, expected: String) throws {
        #expect(try canonical(input) == expected)
    }

    @Test func escapesOnlyWhatJSONRequires() throws {
        #expect(try canonical(#""a\/b\u00e4\n\u0001\"\\\ud83d\ude00""#) == "\"a/bä\\n\\u0001\\\"\\\\😀\"")
    }

    @Test(
        "invalid JSON is refused with a kind, never silently repaired",
        arguments: [
            ("{\"a\":1,\"a\":2}", JSONSyntaxError.Kind.duplicateKey), ("[1,]", .invalid), ("01", .invalid),
            ("\"\\ud800\"", .invalidUTF8), ("1e99999", .numberOutOfRange), ("{\"a\":1} x", .invalid),
            ("\"tab\there\"", .invalid), ("nul", .invalid), ("1.", .invalid), ("-", .invalid),
        ])
    func refusals(input: String, kind: JSONSyntaxError.Kind) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(input.utf8)) }
        do {
            _ = try JSONParser.parse(Array(input.utf8))
        } catch {
            #expect(error.kind == kind)
        }
    }

    @Test func refusesInvalidUTF8() {
        do {
            _ = try JSONParser.parse([0x22, 0xff, 0xfe, 0x22])
            Issue.record("accepted invalid UTF-8")
        } catch {
            #expect(error.kind == .invalidUTF8)
        }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(deep.utf8)) }
    }
}
