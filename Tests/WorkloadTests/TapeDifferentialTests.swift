import Foundation
import Testing
import Workload

@testable import Lineage

/// How a line was prepared before the tape (the body of `EventPreparer.prepare` and `prepared(_:)` as
/// they were): the tree parser, the tree's envelope and payload readers, the canonical form encoded from
/// the tree, `StoredForm` for the stored form. The reference the tape path must equal, line for line.
private struct ReferencePreparer {
    let identityIndex: HMACSHA256

    init(keys: LedgerKeys) throws {
        identityIndex = try HMACSHA256(key: keys.identityIndexKey)
    }

    func prepare(_ bytes: ArraySlice<UInt8>, line: Int) -> PreparedLine {
        var bytes = bytes
        if bytes.last == 0x0d { bytes.removeLast() }
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) else {
            return .rejected(Rejection(line: line, field: nil, rule: .emptyLine, message: "the line is empty"))
        }
        guard bytes.count <= EventPreparer.maxLineBytes else {
            return .rejected(
                Rejection(
                    line: line, field: nil, rule: .lineTooLong,
                    message: "the line is longer than \(EventPreparer.maxLineBytes) bytes"))
        }
        do {
            let value = try bytes.withUnsafeBytes { buffer throws(JSONSyntaxError) in try JSONParser.parse(buffer) }
            let event = try DomainEvent(try Event(validating: value))
            return .event(try prepared(event))
        } catch let error as JSONSyntaxError {
            return .rejected(
                Rejection(
                    line: line, field: nil, rule: Rule(error.kind),
                    message: "\(error.detail) at byte \(error.offset + 1)"))
        } catch var rejection as Rejection {
            rejection.line = line
            return .rejected(rejection)
        } catch {
            return .rejected(Rejection(line: line, field: nil, rule: .invalidJSON, message: "\(error)"))
        }
    }

    private func prepared(_ event: DomainEvent) throws -> PreparedEvent {
        guard case .ingested(let ingestion) = event.payload, event.envelope.subject != nil else {
            return PreparedEvent(
                event: event.slimmed(), storedCanonical: event.envelope.canonical, plaintexts: [],
                identityDigests: [])
        }
        let vocabulary = Vocabulary.standard
        var storedItems: [JSONValue] = []
        var plaintexts: [[UInt8]] = []
        var identityDigests: [Digest?] = []
        for (index, item) in ingestion.items.enumerated() {
            storedItems.append(
                StoredForm.item(field: item.field, sealed: index, socialForceMajeure: item.socialForceMajeure))
            plaintexts.append(CanonicalJSON.encode(item.value ?? .null))
            let isIdentityCode = vocabulary.fields[item.field]?.type == .personalIdentityCode
            identityDigests.append(
                isIdentityCode ? try item.value.flatMap { try IdentityIndex.digest(of: $0, using: identityIndex) } : nil
            )
        }
        return PreparedEvent(
            event: event.slimmed(),
            storedCanonical: StoredForm.replacingItems(of: event.envelope, with: storedItems), plaintexts: plaintexts,
            identityDigests: identityDigests)
    }
}

/// The property tests' randomness: the workload's own generator, with the choices the mutations need.
private struct TestRandom: RandomNumberGenerator {
    var generator: SplitMix64

    init(state: UInt64) { generator = SplitMix64(seed: state) }

    mutating func next() -> UInt64 { generator.next() }
    mutating func below(_ bound: Int) -> Int { generator.below(bound) }
    mutating func chance(_ percent: Int) -> Bool { generator.percent(percent) }
    mutating func pick<T>(_ choices: [T]) -> T { generator.element(of: choices) }
}

/// Byte edits of a valid line into a nearly valid one.
private enum ByteMutation {
    static let interesting: [UInt8] =
        Array("{}[],:\"\\ \t\n0123456789eE.-+tfnulaAK/u".utf8)
        + [0x00, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xa4, 0xe2, 0x84, 0xaa, 0xed, 0xa0, 0xf0, 0xf4, 0x90, 0xff]

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

/// Everything a prepared line carries, comparable byte for byte.
private enum Outcome: Equatable {
    struct Accepted: Equatable {
        let id: EventID
        let type: String
        let occurredAt: Timestamp
        let subject: String?
        let schemaVersion: Int
        let slim: Bool
        let payload: DomainPayload
        /// With the plaintexts, the stored form determines the canonical form byte for byte.
        let storedCanonical: [UInt8]
        let plaintexts: [[UInt8]]
        let identityDigests: [Digest?]
    }

    case accepted(Accepted)
    case rejected(Rejection)

    init(_ line: PreparedLine) {
        switch line {
        case .rejected(let rejection): self = .rejected(rejection)
        case .event(let prepared):
            let envelope = prepared.event.envelope
            self = .accepted(
                Accepted(
                    id: envelope.id, type: envelope.type, occurredAt: envelope.occurredAt, subject: envelope.subject,
                    schemaVersion: envelope.schemaVersion,
                    slim: envelope.payload.members.isEmpty && envelope.canonical.isEmpty
                        && envelope.canonicalObject.members.isEmpty,
                    payload: prepared.event.payload,
                    storedCanonical: prepared.storedCanonical, plaintexts: prepared.plaintexts,
                    identityDigests: prepared.identityDigests))
        }
    }

    var rule: String {
        switch self {
        case .accepted: return "accepted"
        case .rejected(let rejection): return rejection.rule.rawValue
        }
    }
}

/// Edits of a parsed event that a feeding system could get wrong: members dropped or added, values of
/// another type or an awkward spelling, repeated names, and the text written any which way.
private struct EventMutator {
    var random: TestRandom

    init(seed: UInt64) {
        random = TestRandom(state: seed)
    }

    static let names = [
        "id", "type", "occurredAt", "subject", "schemaVersion", "payload", "party", "kind", "name", "country",
        "certifications", "case", "client", "reason", "source", "items", "legalBasis", "purpose", "sourceReference",
        "recipient", "fields", "channel", "safeguard", "field", "value", "socialForceMajeure", "sealed", "reference",
        "extra", "131052-308T", "Ä", "\u{212A}ind", "ca\u{301}se", "x y",
    ]

    static let strings: [String] = {
        var strings = [
            "", " ", "x", "K", "\u{212A}E", "KE", "fi", "FI", "SE", "US", "2024-02-29", "2023-02-29", "2024-13-01",
            "12.10", "-5", "1.234", "12.", ".5", "0", "-0.5", "١٢", "1234567890123456789", "123456789012345678",
            "a@b.c", "a@b", "@b.c", "a@.c", "a@b.", "a b@c.d", "a@b.c\u{a0}", "é@b.c", "a@b@c.d", "+358 40 123 4567",
            "+12", "+١٢٣٤٥٦٧٨", "358401234567", "FI21 1234 5600 0007 85", "fi2112345600000785", "FI2112345600000786",
            "DE89370400440532013000", "ſE89370400440532013000", "131052-308T", "131052-308t", "131052A308T",
            "ı31052-308T", "131052-308Ｔ", "19811228-9874", "811228-9874", "8112289874", "198112289874",
            "811228+9874", "811288-9875", "20000229-0005", "person-1", "case-5", "the 131052-308T case",
            "ref 8112289874", "PAY-00000101", String(repeating: "x", count: 1001), String(repeating: "x", count: 1000),
            String(repeating: "\r\n", count: 600), String(repeating: "ä", count: 600),
            String(repeating: "x", count: 65),
            String(repeating: "x", count: 64), String(repeating: "é", count: 40),
            String(repeating: "e\u{301}", count: 40),
            "a\u{0}b", "tab\there", "\u{7f}", "a\u{85}b", "data.ingested", "data.disclosed", "case.opened",
            "case.closed", "party.registered", "Data.Ingested", "data..x", "data.", "x.y", "legitimate_interests",
            "contract", "identification_and_contact", "letter", "LETTER", "email", "standard_contractual_clauses",
            "article_49_derogation", "controller_internal", "data_subject", "delivery_company", "name",
            "personal_identity_code", "social_force_majeure", "health_data", "claim_amount", "bank_account",
            "2026-01-02T10:00:00Z", "2026-01-02T10:00:00.123456789Z", "2026-01-02T10:00:00.1234567890Z",
            "2026-01-02t10:00:00z", "2026-01-02T10:00:00+02:00", "2026-02-30T10:00:00Z", "2026-01-02T23:59:60Z",
            "5B7E4F0A-1C2D-4E5F-8A9B-0C1D2E3F4A5B", "00000000-0000-0000-0000-000000000000",
            "5b7e4f0a1c2d4e5f8a9b0c1d2e3f4a5b", "a\rb@c.d", "a\u{b}b@c.d", "a\u{c}b@c.d", "a\u{1c}b@c.d",
            "a\u{2028}b@c.d", "a@b.c\r\n", "+358\r401234567", "+358\u{a0}401234567", "12\r\n", "12.5\r",
            "FI21 1234 5600 0007 85\r", "fi21 1234 5600 0007 85", "2024-02-29\r", "131052-308T\r",
        ]
        strings += Vocabulary.standard.fields.keys.sorted()
        return strings
    }()

    static let numbers = ["1", "1.0", "1e0", "10e-1", "-0", "0", "2", "1e400", "100000000000000000000000", "0.5", "-3"]

    mutating func value() -> JSONValue {
        switch random.below(7) {
        case 0, 1, 2: return .string(random.pick(Self.strings))
        case 3: return (try? JSONParser.parse(Array(random.pick(Self.numbers).utf8))) ?? .null
        case 4: return random.pick([JSONValue.bool(true), .bool(false), .null])
        case 5:
            return .array(
                (0..<random.below(3)).map { _ in random.chance(50) ? .string(random.pick(Self.strings)) : value() })
        default:
            let members = (0..<random.below(3)).map { _ in (key: random.pick(Self.names), value: value()) }
            return .object(JSONObject(members) ?? .empty)
        }
    }

    /// Every node's path, the root's (empty) first.
    enum Step { case member(String), element(Int) }

    func paths(_ value: JSONValue, _ prefix: [Step] = []) -> [[Step]] {
        var all = [prefix]
        switch value {
        case .array(let elements):
            for (index, element) in elements.enumerated() { all += paths(element, prefix + [.element(index)]) }
        case .object(let object):
            for member in object.members { all += paths(member.value, prefix + [.member(member.key)]) }
        default: break
        }
        return all
    }

    func value(at path: ArraySlice<Step>, in value: JSONValue) -> JSONValue? {
        guard let step = path.first else { return value }
        switch (step, value) {
        case (.element(let index), .array(let elements)): return self.value(at: path.dropFirst(), in: elements[index])
        case (.member(let key), .object(let object)):
            return object[key].flatMap { self.value(at: path.dropFirst(), in: $0) }
        default: return nil
        }
    }

    /// `value` with the node at `path` edited (`nil`: removed).
    func edit(_ value: JSONValue, at path: ArraySlice<Step>, _ change: (JSONValue) -> JSONValue?) -> JSONValue? {
        guard let step = path.first else { return change(value) }
        switch (step, value) {
        case (.element(let index), .array(var elements)):
            if let edited = edit(elements[index], at: path.dropFirst(), change) {
                elements[index] = edited
            } else {
                elements.remove(at: index)
            }
            return .array(elements)
        case (.member(let key), .object(let object)):
            var members = object.members
            guard let index = members.firstIndex(where: { $0.key == key }) else { return value }
            if let edited = edit(members[index].value, at: path.dropFirst(), change) {
                members[index].value = edited
            } else {
                members.remove(at: index)
            }
            return .object(JSONObject(members) ?? object)
        default: return value
        }
    }

    mutating func mutate(_ event: JSONValue) -> JSONValue {
        var event = event
        for _ in 0..<(1 + random.below(2)) {
            let all = paths(event)
            let path = random.pick(all)[...]
            let choice = random.below(6)
            let replacement = value()
            let name = random.pick(Self.names)
            let repeated = random.below(4)
            event =
                edit(event, at: path) { node in
                    switch choice {
                    case 0: return path.isEmpty ? node : nil
                    case 1:
                        guard case .object(let object) = node else { return replacement }
                        return .object(JSONObject(object.members + [(name, replacement)]) ?? object)
                    case 2:
                        guard case .array(let elements) = node, let first = elements.first else { return replacement }
                        return .array(elements + Array(repeating: first, count: repeated == 3 ? 100 : repeated))
                    case 3:
                        guard case .string(let text) = node else { return replacement }
                        return .string(
                            repeated == 0 ? text.uppercased() : repeated == 1 ? text.lowercased() : text + "0")
                    default: return replacement
                    }
                } ?? event
        }
        return event
    }

    /// The value as text: members in random order, now and then one repeated, random whitespace,
    /// escapes and number spellings.
    mutating func write(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let spelling):
            guard !spelling.contains("."), !spelling.contains("e"), random.chance(20) else { return spelling }
            return spelling + random.pick([".0", ".00", "e0", "0e-1"])
        case .string(let string): return write(string)
        case .array(let elements):
            let written = elements.map { space() + write($0) }
            return "[" + written.joined(separator: ",") + space() + "]"
        case .object(let object):
            var members = object.members
            if random.chance(50) { members.shuffle(using: &random) }
            if random.chance(3), let member = members.first { members.append(member) }
            var written: [String] = []
            for member in members {
                let name = write(member.key)
                written.append(space() + name + ":" + space() + write(member.value))
            }
            return "{" + written.joined(separator: ",") + space() + "}"
        }
    }

    mutating func space() -> String { random.pick(["", "", "", " ", "\n", "\t ", "\r\n"]) }

    /// A string literal, each character plain or escaped at random.
    mutating func write(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n" where random.chance(50): out += "\\n"
            case _ where scalar.value < 0x20 || random.chance(5):
                if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    out += Self.escape(0xD800 + (value >> 10)) + Self.escape(0xDC00 + (value & 0x3FF))
                } else {
                    out += Self.escape(scalar.value)
                }
            case "/" where random.chance(50): out += "\\/"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func escape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: value % 2 == 0)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

@Suite("The tape path prepares every line exactly as the tree path did")
struct TapeDifferentialTests {
    @Test("workload lines, mutated events and mutated bytes: the same events, bytes, digests and rejections")
    func differential() throws {
        let keys = try LedgerKeys.generate()
        let preparer = try EventPreparer(keys: keys)
        let reference = try ReferencePreparer(keys: keys)
        let lines = try Sample.lines(
            WorkloadConfiguration(events: 3_000, seed: 11, probeSizes: [], probePeoplePerSize: 0))
        var mutator = EventMutator(seed: 5)
        var rules: [String: Int] = [:]
        var mismatches = 0
        func check(_ bytes: [UInt8]) {
            let expected = Outcome(reference.prepare(bytes[...], line: 7))
            let actual = Outcome(preparer.prepare(bytes[...], line: 7))
            rules[expected.rule, default: 0] += 1
            if actual != expected {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("\(String(decoding: bytes, as: UTF8.self))\nexpected \(expected)\nactual   \(actual)")
                }
            }
        }
        for line in lines {
            check(line)
            check(ByteMutation.mutate(line, &mutator.random))
            guard let event = try? JSONParser.parse(line) else { continue }
            for _ in 0..<8 {
                check(Array(mutator.write(mutator.mutate(event)).utf8))
            }
            check(Array(mutator.write(event).utf8) + [0x0d])
        }
        // Every awkward string in turn in some string members of valid events (item values among them).
        for line in lines.prefix(400) {
            guard let event = try? JSONParser.parse(line) else { continue }
            let strings = mutator.paths(event).filter {
                if case .string = mutator.value(at: $0[...], in: event) { true } else { false }
            }
            for path in strings where mutator.random.chance(25) {
                for string in EventMutator.strings where mutator.random.chance(30) {
                    if let edited = mutator.edit(event, at: path[...], { _ in .string(string) }) {
                        check(Array(mutator.write(edited).utf8))
                    }
                }
            }
        }
        for line in ["", " \t ", "\r", "\r\r", "[]", "1", "\"x\""] { check(Array(line.utf8)) }
        #expect(mismatches == 0)
        // The comparison means something only if the mutations reach most rules.
        #expect((rules["accepted"] ?? 0) > 3_000, "\(rules)")
        let reached = Set(rules.keys)
        let expected: Set<String> = [
            "line.empty", "json.invalid", "json.invalid_utf8", "json.duplicate_key", "envelope.not_object",
            "envelope.missing_field", "envelope.unknown_field", "envelope.wrong_type", "id.not_uuid", "type.invalid",
            "occurredAt.not_rfc3339", "subject.empty", "subject.too_long", "subject.personal_identity_code",
            "schemaVersion.unsupported", "type.unknown", "subject.required", "subject.not_allowed",
            "payload.missing_field", "payload.unknown_field", "payload.wrong_type", "identifier.personal_identity_code",
            "party.kind_unknown", "country.unknown", "field.unknown", "field.wrong_type", "field.repeated",
            "field.special_category", "legal_basis.unknown", "purpose.unknown", "personal_identity_code.invalid",
            "channel.unknown", "safeguard.invalid",
        ]
        #expect(expected.subtracting(reached).isEmpty, "rules never reached: \(expected.subtracting(reached).sorted())")
    }
}

/// What reading a record's event bytes gives: the event, or which check refused them.
private enum StoredOutcome: Equatable {
    struct Read: Equatable {
        let id: EventID
        let type: String
        let occurredAt: Timestamp
        let subject: String?
        let schemaVersion: Int
        let payload: DomainPayload
    }

    case read(Read)
    case invalid
    case notCanonical

    init(_ event: DomainEvent) {
        let envelope = event.envelope
        self = .read(
            Read(
                id: envelope.id, type: envelope.type, occurredAt: envelope.occurredAt, subject: envelope.subject,
                schemaVersion: envelope.schemaVersion, payload: event.payload))
    }

    /// The tree path, as `StoredEvent` reads a record without a reader, and the canonical check
    /// `verify` made on its result.
    static func tree(_ bytes: [UInt8]) -> StoredOutcome {
        guard let event = try? DomainEvent(try Event(validating: try JSONParser.parse(bytes)), stored: true) else {
            return .invalid
        }
        return event.envelope.canonical == bytes ? StoredOutcome(event) : .notCanonical
    }

    static func tape(_ bytes: [UInt8], _ reader: StoredEventReader) -> StoredOutcome {
        do {
            return StoredOutcome(try reader.read(bytes))
        } catch .invalid {
            return .invalid
        } catch {
            return .notCanonical
        }
    }
}

@Suite("The tape reads stored events exactly as the tree does")
struct StoredTapeDifferentialTests {
    @Test("stored forms of workload lines, their mutations and awkward sealed indexes")
    func storedDifferential() throws {
        let preparer = try EventPreparer(keys: try LedgerKeys.generate())
        let reader = StoredEventReader(checksCanonicalForm: true)
        let lines = try Sample.lines(
            WorkloadConfiguration(events: 2_000, seed: 13, probeSizes: [], probePeoplePerSize: 0))
        var mutator = EventMutator(seed: 9)
        var outcomes: [String: Int] = [:]
        var mismatches = 0
        func check(_ bytes: [UInt8]) {
            let expected = StoredOutcome.tree(bytes)
            let actual = StoredOutcome.tape(bytes, reader)
            switch expected {
            case .read: outcomes["read", default: 0] += 1
            case .invalid: outcomes["invalid", default: 0] += 1
            case .notCanonical: outcomes["notCanonical", default: 0] += 1
            }
            if actual != expected {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("\(String(decoding: bytes, as: UTF8.self))\nexpected \(expected)\nactual   \(actual)")
                }
            }
        }
        let sealedSpellings = ["-1", "1.0", "1e0", "10E-1", "\"1\"", "null", "99999999999999999999999", "0", "-0"]
        for line in lines {
            guard case .event(let prepared) = preparer.prepare(line[...], line: 1) else { continue }
            let stored = prepared.storedCanonical
            check(stored)
            check(ByteMutation.mutate(stored, &mutator.random))
            guard let event = try? JSONParser.parse(stored) else { continue }
            for _ in 0..<4 {
                let mutated = mutator.mutate(event)
                check(CanonicalJSON.encode(mutated))
                check(Array(mutator.write(mutated).utf8))
            }
            // A stored item's index spelled every way JSON allows, canonical around it.
            let text = String(decoding: stored, as: UTF8.self)
            if let range = text.range(of: "\"sealed\":0") {
                for spelling in sealedSpellings where mutator.random.chance(40) {
                    check(Array(text.replacingCharacters(in: range, with: "\"sealed\":\(spelling)").utf8))
                }
                check(Array(text.replacingCharacters(in: range, with: "\"value\":0").utf8))
            }
        }
        #expect(mismatches == 0)
        // The comparison means something only if every outcome occurs often.
        #expect((outcomes["read"] ?? 0) > 2_000, "\(outcomes)")
        #expect((outcomes["invalid"] ?? 0) > 500, "\(outcomes)")
        #expect((outcomes["notCanonical"] ?? 0) > 500, "\(outcomes)")
    }
}
