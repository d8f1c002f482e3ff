import Foundation

/// A JSON text parsed into a flat array of nodes over its own bytes (a "tape"), for the import's hot
/// path. ``JSONParser`` builds a tree of `String`s and arrays, several allocations per value; the
/// tape allocates nothing per value: strings and numbers stay where they are in the input, only a
/// string with escapes (decoded) or a number not already in its canonical spelling is written out,
/// into `arena`, and each object gets its member names sorted as a list of node indices.
///
/// The grammar, the limits and every error (kind, byte offset, detail) are ``JSONParser``'s, checked
/// in the same order; `TapeDifferentialTests` holds the two to each other. A tape is reused line after
/// line (parsing keeps the arrays' capacity) and belongs to one thread.
///
/// Layout, in document order: a string, number or literal is one node; an array is its node followed
/// by its elements' subtrees; an object is its node followed by, per member in input order, the name's
/// string node and the value's subtree. Every node records where its subtree ends, which is where its
/// next sibling starts.
struct JSONTape {
    enum Kind: UInt8 {
        case null, `false`, `true`, number, string, array, object
    }

    struct Node {
        var kind: Kind
        /// A string's or number's bytes are in `arena` (decoded, or canonically spelled), not the input.
        var inArena = false
        /// A string holds a byte of 0x80 or more (so `String` rules may differ from byte rules).
        var nonASCII = false
        /// Strings and numbers: the offset of their bytes. Objects: the offset of their sorted names in
        /// `order`.
        var start: UInt32 = 0
        /// Strings and numbers: their byte count. Arrays: their elements. Objects: their members.
        var count: UInt32 = 0
        /// The index of the first node after this node's subtree.
        var end: UInt32 = 0
    }

    private(set) var nodes: [Node] = []
    /// Per object, the node indices of its member names in UTF-8 byte order of the names.
    private(set) var order: [UInt32] = []
    /// Decoded strings that had escapes, and canonical spellings of numbers not written canonically.
    private(set) var arena: [UInt8] = []
    /// The member names of the objects being parsed, innermost last.
    private var pendingNames: [UInt32] = []
    /// A number's digits, integer and fraction together, when its spelling must be computed.
    private var digits: [UInt8] = []

    /// Parses one complete JSON text (surrounding whitespace allowed), replacing what the tape held.
    /// Inputs are lines of at most ``EventPreparer/maxLineBytes``, so offsets fit in 32 bits.
    mutating func parse(_ input: UnsafeRawBufferPointer) throws(JSONSyntaxError) {
        precondition(input.count < Int(UInt32.max) / 32, "a tape holds inputs of less than 128 MiB")
        nodes.removeAll(keepingCapacity: true)
        order.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        pendingNames.removeAll(keepingCapacity: true)
        // The parser owns the arrays while it runs (moved, not copied: they stay uniquely referenced).
        var parser = Parser(bytes: input, tape: self)
        self = JSONTape()
        defer { self = parser.tape }
        try parser.parseText()
    }

    /// The parsed tape of `input` (the same bytes `parse` was given), for reading; `body` must not
    /// keep the document, whose pointers live only for the call.
    func withDocument<Result>(_ input: UnsafeRawBufferPointer, _ body: (JSONDocument) -> Result) -> Result {
        nodes.withUnsafeBufferPointer { nodes in
            order.withUnsafeBufferPointer { order in
                arena.withUnsafeBytes { arena in
                    body(JSONDocument(input: input, arena: arena, nodes: nodes, order: order))
                }
            }
        }
    }
}

extension JSONTape {
    /// ``JSONParser``'s recursive descent, writing nodes instead of values.
    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var tape: JSONTape
        var position = 0
        var depth = 0
        static let maxDepth = 64
        static let maxExponent = 1_000

        init(bytes: UnsafeRawBufferPointer, tape: JSONTape) {
            self.bytes = bytes
            self.tape = tape
        }

        mutating func parseText() throws(JSONSyntaxError) {
            skipWhitespace()
            try parseValue()
            skipWhitespace()
            guard position == bytes.count else { throw error(.invalid, "unexpected data after the value") }
        }

        func error(_ kind: JSONSyntaxError.Kind, _ detail: String) -> JSONSyntaxError {
            JSONSyntaxError(kind: kind, offset: position, detail: detail)
        }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while position < bytes.count {
                let byte = bytes[position]
                guard byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d else { return }
                position += 1
            }
        }

        /// Appends a node whose subtree is itself alone, and returns its index.
        @discardableResult
        mutating func append(_ node: Node) -> Int {
            var node = node
            node.end = UInt32(tape.nodes.count + 1)
            tape.nodes.append(node)
            return tape.nodes.count - 1
        }

        mutating func parseValue() throws(JSONSyntaxError) {
            guard let byte = current else { throw error(.invalid, "unexpected end of input") }
            switch byte {
            case UInt8(ascii: "{"): try parseObject()
            case UInt8(ascii: "["): try parseArray()
            case UInt8(ascii: "\""): try parseString()
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                append(Node(kind: .true))
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                append(Node(kind: .false))
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                append(Node(kind: .null))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
            default: throw error(.invalid, "unexpected character")
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
            let count = literal.utf8CodeUnitCount
            guard position + count <= bytes.count else { throw error(.invalid, "unexpected end of input") }
            for index in 0..<count where bytes[position + index] != literal.utf8Start[index] {
                throw error(.invalid, "unexpected character")
            }
            position += count
        }

        mutating func enter() throws(JSONSyntaxError) {
            depth += 1
            if depth > Self.maxDepth { throw error(.tooDeep, "nested more than \(Self.maxDepth) levels") }
        }

        mutating func parseObject() throws(JSONSyntaxError) {
            try enter()
            defer { depth -= 1 }
            let start = position
            position += 1
            let index = append(Node(kind: .object))
            let firstName = tape.pendingNames.count
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                position += 1
                _ = closeObject(index, firstName: firstName)
                return
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error(.invalid, "expected a member name") }
                tape.pendingNames.append(UInt32(tape.nodes.count))
                try parseString()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw error(.invalid, "expected ':'") }
                position += 1
                skipWhitespace()
                try parseValue()
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"):
                    position += 1
                    guard closeObject(index, firstName: firstName) else {
                        throw JSONSyntaxError(
                            kind: .duplicateKey, offset: start, detail: "an object repeats a member name")
                    }
                    return
                default: throw error(.invalid, "expected ',' or '}'")
                }
            }
        }

        /// Sorts the object's names into `order` and finishes its node; false if a name repeats.
        ///
        /// This is ``JSONObject``'s rule, exactly: names already in strictly increasing byte order are
        /// taken as they are; otherwise they are sorted and two neighbours that are equal as `String`s
        /// (canonically equivalent, which for ASCII means the same bytes) are a repeat.
        mutating func closeObject(_ index: Int, firstName: Int) -> Bool {
            let count = tape.pendingNames.count - firstName
            let orderStart = tape.order.count
            tape.order.append(contentsOf: tape.pendingNames[firstName...])
            tape.pendingNames.removeLast(count)
            tape.nodes[index].start = UInt32(orderStart)
            tape.nodes[index].count = UInt32(count)
            tape.nodes[index].end = UInt32(tape.nodes.count)
            guard count > 1 else { return true }
            // Copies of the array references (not of the bytes), so that `order` can be sorted in place.
            let (arena, nodes) = (tape.arena, tape.nodes)
            return arena.withUnsafeBytes { arena in
                nodes.withUnsafeBufferPointer { nodes in
                    // Only `bytes(_:)` is used, which needs no `order`.
                    let document = JSONDocument(
                        input: bytes, arena: arena, nodes: nodes, order: UnsafeBufferPointer(start: nil, count: 0))
                    return tape.order.withUnsafeMutableBufferPointer { order in
                        Self.sortNames(UnsafeMutableBufferPointer(rebasing: order[orderStart...]), in: document)
                    }
                }
            }
        }

        /// Sorts member names by their bytes; false if neighbours are the same name.
        static func sortNames(_ names: UnsafeMutableBufferPointer<UInt32>, in document: JSONDocument) -> Bool {
            // Names are compared by their first eight bytes as one big-endian number, and by all
            // their bytes only when those are equal: an event's names mostly differ early.
            withUnsafeTemporaryAllocation(of: (prefix: UInt64, node: UInt32).self, capacity: names.count) { keys in
                for (index, node) in names.enumerated() {
                    keys[index] = (document.prefix(Int(node)), node)
                }
                func order(_ a: (prefix: UInt64, node: UInt32), _ b: (prefix: UInt64, node: UInt32)) -> Int {
                    guard a.prefix == b.prefix else { return a.prefix < b.prefix ? -1 : 1 }
                    return compareBytes(document.bytes(Int(a.node)), document.bytes(Int(b.node)))
                }
                if keys.indices.dropFirst().allSatisfy({ order(keys[$0 - 1], keys[$0]) < 0 }) { return true }
                if keys.count <= 16 {
                    // An event's objects have a handful of members: insertion sort, in place, beats the
                    // standard library's merge sort and its scratch buffer.
                    for index in keys.indices.dropFirst() {
                        let key = keys[index]
                        var slot = index
                        while slot > 0 && order(key, keys[slot - 1]) < 0 {
                            keys[slot] = keys[slot - 1]
                            slot -= 1
                        }
                        keys[slot] = key
                    }
                } else {
                    var keys = keys
                    keys.sort { order($0, $1) < 0 }
                }
                for index in keys.indices {
                    names[index] = keys[index].node
                    guard index > 0 else { continue }
                    if order(keys[index - 1], keys[index]) == 0 { return false }
                    let (previous, name) = (Int(keys[index - 1].node), Int(keys[index].node))
                    if document.nodes[previous].nonASCII || document.nodes[name].nonASCII,
                        document.string(previous) == document.string(name)
                    {
                        return false
                    }
                }
                return true
            }
        }

        mutating func parseArray() throws(JSONSyntaxError) {
            try enter()
            defer { depth -= 1 }
            position += 1
            let index = append(Node(kind: .array))
            var count: UInt32 = 0
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                position += 1
                return
            }
            while true {
                skipWhitespace()
                try parseValue()
                count += 1
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "]"):
                    position += 1
                    tape.nodes[index].count = count
                    tape.nodes[index].end = UInt32(tape.nodes.count)
                    return
                default: throw error(.invalid, "expected ',' or ']'")
                }
            }
        }

        mutating func parseString() throws(JSONSyntaxError) {
            position += 1
            let start = position
            // Fast path: no escapes, so the bytes between the quotes are the string.
            var high = Bytes.skipPlain(bytes, from: &position)
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { break }
                guard byte >= 0x20 else { throw error(.invalid, "unescaped control character in a string") }
                high |= UInt64(byte)
                position += 1
            }
            guard let stop = current else { throw error(.invalid, "unterminated string") }
            if stop == UInt8(ascii: "\"") {
                // `high` ORs whole words: a byte of 0x80 or more sets the top bit of one of its bytes.
                let nonASCII = high & 0x8080_8080_8080_8080 != 0
                if nonASCII, !UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: bytes[start..<position])) {
                    throw JSONSyntaxError(kind: .invalidUTF8, offset: start, detail: "a string is not valid UTF-8")
                }
                append(
                    Node(
                        kind: .string, nonASCII: nonASCII, start: UInt32(start), count: UInt32(position - start)))
                position += 1
                return
            }
            // Escapes: decode into the arena.
            let arenaStart = tape.arena.count
            tape.arena.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
            while true {
                guard let byte = current else { throw error(.invalid, "unterminated string") }
                switch byte {
                case UInt8(ascii: "\""):
                    position += 1
                    let decoded = tape.arena.withUnsafeBytes { arena in
                        let decoded = UnsafeRawBufferPointer(rebasing: arena[arenaStart...])
                        return (nonASCII: decoded.contains { $0 >= 0x80 }, valid: UTF8Validation.isValid(decoded))
                    }
                    guard decoded.valid else {
                        throw JSONSyntaxError(kind: .invalidUTF8, offset: start, detail: "a string is not valid UTF-8")
                    }
                    append(
                        Node(
                            kind: .string, inArena: true, nonASCII: decoded.nonASCII, start: UInt32(arenaStart),
                            count: UInt32(tape.arena.count - arenaStart)))
                    return
                case UInt8(ascii: "\\"):
                    position += 1
                    try parseEscape()
                case 0..<0x20:
                    throw error(.invalid, "unescaped control character in a string")
                default:
                    tape.arena.append(byte)
                    position += 1
                }
            }
        }

        mutating func parseEscape() throws(JSONSyntaxError) {
            guard let byte = current else { throw error(.invalid, "unterminated escape") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""): tape.arena.append(0x22)
            case UInt8(ascii: "\\"): tape.arena.append(0x5c)
            case UInt8(ascii: "/"): tape.arena.append(0x2f)
            case UInt8(ascii: "b"): tape.arena.append(0x08)
            case UInt8(ascii: "f"): tape.arena.append(0x0c)
            case UInt8(ascii: "n"): tape.arena.append(0x0a)
            case UInt8(ascii: "r"): tape.arena.append(0x0d)
            case UInt8(ascii: "t"): tape.arena.append(0x09)
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
                UTF8Validation.encode(scalar, into: &tape.arena)
            default:
                throw error(.invalid, "unknown escape")
            }
        }

        mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
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

        func isDigit(_ byte: UInt8?) -> Bool {
            guard let byte else { return false }
            return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        }

        /// Reads an RFC 8259 number. An integer written plainly (no fraction, no exponent, at most 21
        /// digits, not `-0`) is already in canonical spelling and stays in the input; any other number's
        /// spelling (``CanonicalJSON/writeNumber(negative:digits:exponent:into:)``) goes to the arena.
        mutating func parseNumber() throws(JSONSyntaxError) {
            let numberStart = position
            var negative = false
            if current == UInt8(ascii: "-") {
                negative = true
                position += 1
            }
            guard let first = current, isDigit(first) else { throw error(.invalid, "a number needs a digit") }
            let integerStart = position
            if first == UInt8(ascii: "0") {
                position += 1
            } else {
                while isDigit(current) { position += 1 }
            }
            let integerEnd = position
            var fractionStart = position
            var exponent = 0
            var plain = true
            if current == UInt8(ascii: ".") {
                position += 1
                fractionStart = position
                while isDigit(current) { position += 1 }
                guard position > fractionStart else { throw error(.invalid, "a fraction needs a digit") }
                exponent -= position - fractionStart
                plain = false
            }
            let fractionEnd = position
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                var exponentNegative = false
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                    exponentNegative = current == UInt8(ascii: "-")
                    position += 1
                }
                var value = 0
                var exponentDigits = 0
                while let byte = current, isDigit(byte) {
                    if value <= Self.maxExponent { value = value * 10 + Int(byte - UInt8(ascii: "0")) }
                    exponentDigits += 1
                    position += 1
                }
                guard exponentDigits > 0 else { throw error(.invalid, "an exponent needs a digit") }
                guard value <= Self.maxExponent else {
                    throw error(.numberOutOfRange, "an exponent beyond \(Self.maxExponent)")
                }
                exponent += exponentNegative ? -value : value
                plain = false
            }
            let integerDigits = integerEnd - integerStart
            if plain && (first != UInt8(ascii: "0") ? integerDigits <= 21 : !negative) {
                append(Node(kind: .number, start: UInt32(numberStart), count: UInt32(position - numberStart)))
                return
            }
            tape.digits.removeAll(keepingCapacity: true)
            tape.digits.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[integerStart..<integerEnd]))
            if fractionEnd > fractionStart {
                tape.digits.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[fractionStart..<fractionEnd]))
            }
            let arenaStart = tape.arena.count
            CanonicalJSON.writeNumber(negative: negative, digits: tape.digits, exponent: exponent, into: &tape.arena)
            append(
                Node(
                    kind: .number, inArena: true, start: UInt32(arenaStart),
                    count: UInt32(tape.arena.count - arenaStart)))
        }
    }
}

/// A parsed tape and the bytes it points into, for reading. It holds pointers, valid only inside
/// ``JSONTape/withDocument(_:_:)``.
struct JSONDocument {
    typealias Kind = JSONTape.Kind
    let input: UnsafeRawBufferPointer
    let arena: UnsafeRawBufferPointer
    let nodes: UnsafeBufferPointer<JSONTape.Node>
    let order: UnsafeBufferPointer<UInt32>

    /// The node of the whole text.
    static let root = 0

    func kind(_ node: Int) -> Kind { nodes[node].kind }

    /// A string's UTF-8 (decoded), or a number's canonical spelling.
    func bytes(_ node: Int) -> UnsafeRawBufferPointer {
        let entry = nodes[node]
        let start = Int(entry.start)
        return UnsafeRawBufferPointer(rebasing: (entry.inArena ? arena : input)[start..<start + Int(entry.count)])
    }

    /// Whether a string is ASCII only: then `String` comparison and counting are byte comparison and
    /// counting (but for `\r\n`, one `Character`).
    func isASCII(_ node: Int) -> Bool { !nodes[node].nonASCII }

    func string(_ node: Int) -> String { String(decoding: bytes(node), as: UTF8.self) }

    /// Elements of an array, members of an object.
    func count(_ node: Int) -> Int { Int(nodes[node].count) }

    /// An object's member names (their nodes), in key order; each value is the node after its name.
    func names(_ object: Int) -> UnsafeBufferPointer<UInt32> {
        let entry = nodes[object]
        return UnsafeBufferPointer(rebasing: order[Int(entry.start)..<Int(entry.start + entry.count)])
    }

    /// The value of an object's member, as ``JSONObject``'s subscript finds it: the first in key order
    /// whose name equals `name` as a `String`.
    func member(_ object: Int, _ name: StaticString) -> Int? {
        for key in names(object) where equals(Int(key), name) { return Int(key) + 1 }
        return nil
    }

    /// An object's members matched in one pass against a list of names (at most eight): the same
    /// answers as a ``member(_:_:)`` search per name, and the first member that is none of them.
    func members(of object: Int, named names: [StaticString]) -> Members {
        precondition(names.count <= 8, "a Members holds eight names at most")
        var members = Members(names: names)
        for key in self.names(object) {
            let text = bytes(Int(key))
            let ascii = !nodes[Int(key)].nonASCII
            var matched = false
            for (index, name) in names.enumerated() {
                // `equals(_:_:)`, with the key's bytes found once rather than per name.
                if ascii {
                    guard text.count == name.utf8CodeUnitCount, text.first == name.utf8Start.pointee,
                        memcmp(text.baseAddress!, name.utf8Start, text.count) == 0
                    else { continue }
                } else {
                    guard equals(Int(key), name) else { continue }
                }
                // The first in key order, as `member(_:_:)` finds it.
                if members.values[index] < 0 { members.values[index] = Int32(key) + 1 }
                matched = true
                break
            }
            if !matched && members.other == nil { members.other = Int(key) }
        }
        return members
    }

    struct Members {
        let names: [StaticString]
        /// Per name, its value's node, or -1. (A SIMD vector: eight slots that need no allocation.)
        fileprivate var values = SIMD8<Int32>(repeating: -1)
        /// The name node of the first member, in key order, whose name is not in `names`.
        fileprivate(set) var other: Int?

        fileprivate init(names: [StaticString]) {
            self.names = names
        }

        /// The value of the member called `name`, one of `names`.
        func value(_ name: StaticString) -> Int? {
            for (index, candidate) in names.enumerated() where Self.same(candidate, name) {
                return values[index] < 0 ? nil : Int(values[index])
            }
            preconditionFailure("\(name) is not among the names matched")
        }

        private static func same(_ a: StaticString, _ b: StaticString) -> Bool {
            a.utf8CodeUnitCount == b.utf8CodeUnitCount
                && (a.utf8Start == b.utf8Start || memcmp(a.utf8Start, b.utf8Start, a.utf8CodeUnitCount) == 0)
        }
    }

    /// Whether a string node equals `name` as `String`s compare. For ASCII text that is byte equality;
    /// other text is compared as `String`s (a few non-ASCII characters are canonically equivalent to
    /// ASCII ones, U+212A KELVIN SIGN to `K` for one).
    func equals(_ node: Int, _ name: StaticString) -> Bool {
        let entry = nodes[node]
        guard !entry.nonASCII else { return string(node) == name.description }
        // Most names differ in length: decide that before looking at bytes.
        guard entry.count == name.utf8CodeUnitCount else { return false }
        let text = (entry.inArena ? arena : input).baseAddress! + Int(entry.start)
        return entry.count == 0 || memcmp(text, name.utf8Start, Int(entry.count)) == 0
    }

    /// A string's first eight bytes as a big-endian number, zeros after a shorter one (``Bytes/prefix(_:)``).
    /// A name in the input is followed by at least its closing quote, a colon and a value: its eight
    /// bytes are read in one load where the input has them, and the ones past its end masked off.
    func prefix(_ node: Int) -> UInt64 {
        let entry = nodes[node]
        let start = Int(entry.start)
        guard !entry.inArena, start + 8 <= input.count else { return Bytes.prefix(bytes(node)) }
        let word = UInt64(bigEndian: input.loadUnaligned(fromByteOffset: start, as: UInt64.self))
        return entry.count >= 8 ? word : word & ~(UInt64.max >> (8 * entry.count))
    }

    /// An array's elements, in order.
    func elements(_ array: Int) -> Elements { Elements(document: self, array: array) }

    struct Elements: Sequence, IteratorProtocol {
        let document: JSONDocument
        var following: Int
        var remaining: Int

        init(document: JSONDocument, array: Int) {
            self.document = document
            following = array + 1
            remaining = document.count(array)
        }

        mutating func next() -> Int? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let element = following
            following = Int(document.nodes[element].end)
            return element
        }
    }

    /// The JSON type's name, for error messages (never the value itself): ``JSONValue/typeName``.
    func typeName(_ node: Int) -> String {
        switch kind(node) {
        case .null: return "null"
        case .false, .true: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The node as a ``JSONValue``, the tree ``JSONParser`` would have built.
    func value(_ node: Int) -> JSONValue {
        switch kind(node) {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .number: return .number(string(node))
        case .string: return .string(string(node))
        case .array: return .array(elements(node).map(value))
        case .object:
            return .object(JSONObject(sorted: names(node).map { (key: string(Int($0)), value: value(Int($0) + 1)) }))
        }
    }
}

/// Byte-string primitives of the tape.
enum Bytes {
    /// The first eight bytes as a big-endian number, zeros after a shorter text: numbers compare as
    /// the texts' first eight bytes do.
    static func prefix(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard bytes.count < 8 else { return UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)) }
        var prefix: UInt64 = 0
        for (index, byte) in bytes.enumerated() { prefix |= UInt64(byte) << (56 - 8 * index) }
        return prefix
    }

    /// Advances `position` over a string's plain bytes (no quote, backslash or control character;
    /// most of any event), eight at a time, to the first byte that is not plain or to the last
    /// fewer-than-eight bytes of the input, and returns the bits of the bytes it passed ORed
    /// together, so that the caller knows whether one was 0x80 or more. The caller reads the rest
    /// byte by byte: at most seven bytes, or the special byte itself.
    @inline(__always)
    static func skipPlain(_ bytes: UnsafeRawBufferPointer, from position: inout Int) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var seen: UInt64 = 0
        while position + 8 <= bytes.count {
            // Little-endian, so that byte i of the input is bits 8i to 8i + 7 of the word.
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            // The classic tests "has a byte below n" ((x − n·ones) & ~x & highs) and "has a zero byte"
            // (n = 1), of the word for control characters and of the word XORed with a quote or a
            // backslash for those. A borrow can flag bytes after a true match but never before one,
            // so the lowest flagged byte is exactly the first special byte.
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5c)
            let control = (word &- ones &* 0x20) & ~word
            let special = (control | (quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & highs
            guard special == 0 else {
                let plain = special.trailingZeroBitCount / 8
                seen |= word & ((1 << (8 * UInt64(plain))) &- 1)
                position += plain
                return seen
            }
            seen |= word
            position += 8
        }
        return seen
    }
}

/// UTF-8 as `String(validating:as:)` accepts it (Unicode 15, table 3-7: no overlong forms, no
/// surrogates, nothing above U+10FFFF), without making a `String`.
enum UTF8Validation {
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            // The sequence's length and the range its second byte must fall in; later bytes are 80...BF.
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: (length, second) = (3, 0xA0...0xBF)
            case 0xED: (length, second) = (3, 0x80...0x9F)
            case 0xE1...0xEF: length = 3
            case 0xF0: (length, second) = (4, 0x90...0xBF)
            case 0xF4: (length, second) = (4, 0x80...0x8F)
            case 0xF1...0xF3: length = 4
            default: return false
            }
            guard index + length <= count, second.contains(bytes[index + 1]) else { return false }
            for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) { return false }
            index += length
        }
        return true
    }

    /// Appends the UTF-8 of a Unicode scalar value (not a surrogate, at most U+10FFFF).
    static func encode(_ scalar: UInt32, into out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
