/// The ledger's canonical JSON: the one byte sequence for a parsed value, so that the same event
/// sent with its members in another order or other whitespace has the same bytes (and the same
/// idempotency digest and Merkle leaf).
///
/// * No whitespace. Object members sorted by key in UTF-8 byte order (code point order).
/// * Strings: `"` and `\` escaped as `\"` and `\\`; U+0008, U+0009, U+000A, U+000C, U+000D as `\b`,
///   `\t`, `\n`, `\f`, `\r`; other code points below U+0020 as `\u00xx` (lowercase hex); everything
///   else as raw UTF-8 (so `/` and non-ASCII are never escaped).
/// * Numbers: the exact decimal value, without leading zeros, trailing fraction zeros, `+`, or `-0`;
///   written plainly when the decimal point falls within 21 digits left or 6 digits right of the
///   first digit, otherwise as `d.ddde±x` (ECMAScript's thresholds). `12.10`, `1.21e1` → `12.1`.
public enum CanonicalJSON {
    /// The canonical bytes of `value`.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let spelling): out.append(contentsOf: spelling.utf8)
        case .string(let string): writeString(string, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (index, member) in object.members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public static func writeString(_ string: String, into out: inout [UInt8]) {
        var string = string
        string.withUTF8 { writeString(utf8: UnsafeRawBufferPointer($0), into: &out) }
    }

    /// Writes a string, given as valid UTF-8, with its quotes and escapes.
    static func writeString(utf8: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Almost every string needs no escape: copy it whole rather than byte by byte.
        guard utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c }) else {
            out.append(contentsOf: utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5c, 0x22])
            case 0x5c: out.append(contentsOf: [0x5c, 0x5c])
            case 0x08: out.append(contentsOf: [0x5c, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0c: out.append(contentsOf: [0x5c, UInt8(ascii: "f")])
            case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xf)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The canonical spelling of the decimal number (−1)^negative × digits × 10^exponent, where
    /// `digits` are ASCII digits.
    static func number(negative: Bool, digits: [UInt8], exponent: Int) -> String {
        var out: [UInt8] = []
        writeNumber(negative: negative, digits: digits, exponent: exponent, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the canonical spelling of (−1)^negative × digits × 10^exponent (see ``number(negative:digits:exponent:)``).
    static func writeNumber(negative: Bool, digits: [UInt8], exponent: Int, into out: inout [UInt8]) {
        var significant = ArraySlice(digits.drop { $0 == UInt8(ascii: "0") })
        guard !significant.isEmpty else {
            out.append(UInt8(ascii: "0"))
            return
        }
        var exponent = exponent
        while significant.last == UInt8(ascii: "0") {
            significant.removeLast()
            exponent += 1
        }
        // The position of the decimal point counted from the first significant digit.
        let point = significant.count + exponent
        if negative { out.append(UInt8(ascii: "-")) }
        let zero = UInt8(ascii: "0")
        if exponent >= 0 && point <= 21 {
            out.append(contentsOf: significant)
            out.append(contentsOf: repeatElement(zero, count: exponent))
        } else if point > 0 && point <= 21 {
            out.append(contentsOf: significant.prefix(point))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: significant.dropFirst(point))
        } else if point <= 0 && point > -6 {
            out.append(contentsOf: Array("0.".utf8))
            out.append(contentsOf: repeatElement(zero, count: -point))
            out.append(contentsOf: significant)
        } else {
            out.append(significant.first!)
            if significant.count > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: significant.dropFirst())
            }
            out.append(UInt8(ascii: "e"))
            out.append(contentsOf: Array((point - 1 >= 0 ? "+\(point - 1)" : "\(point - 1)").utf8))
        }
    }
}

/// Writes the canonical JSON of a parsed tape (``JSONTape``), the same bytes ``CanonicalJSON/encode(_:)``
/// writes for the tree ``JSONParser`` builds, and remembers where each node's bytes went, so that parts
/// of the event (an item's value, the items array) can be cut out of the output instead of being
/// written again. One writer is reused event after event.
struct CanonicalTapeWriter {
    /// The canonical bytes of the last document written are `storage[..<count]`. The buffer only grows
    /// (to the largest bound seen) so that it is never filled twice.
    private var storage: [UInt8] = []
    private var count = 0
    /// Per node, where its canonical bytes are (every node is written, so none is stale).
    private var spans: [Range<Int>] = []

    /// Writes the whole of `document`, replacing what the writer held.
    mutating func write(_ document: JSONDocument) {
        // The output is never longer than the input (whitespace goes, everything else is copied)
        // plus each decoded byte in the arena written escaped (at most 6 bytes: \u00xx): size the
        // buffer to that once, and write through a pointer.
        let bound = document.input.count + 6 * document.arena.count
        if storage.count < bound { storage.append(contentsOf: repeatElement(0, count: bound - storage.count)) }
        if spans.count < document.nodes.count {
            spans.append(contentsOf: repeatElement(0..<0, count: document.nodes.count - spans.count))
        }
        count = storage.withUnsafeMutableBufferPointer { out in
            spans.withUnsafeMutableBufferPointer { spans in
                var cursor = Cursor(out: out, spans: spans)
                cursor.write(JSONDocument.root, of: document)
                return cursor.position
            }
        }
    }

    /// The canonical bytes of the last document written, for the duration of `body`.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }

    /// Where the canonical bytes of `node` are.
    func span(of node: Int) -> Range<Int> { spans[node] }

    /// Lowers the ASCII letters of `node`'s bytes in place.
    mutating func lowercaseASCII(_ node: Int) {
        let span = spans[node]
        storage.withUnsafeMutableBufferPointer { bytes in
            for index in span where (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[index]) {
                bytes[index] |= 0x20
            }
        }
    }

    private struct Cursor {
        let out: UnsafeMutableBufferPointer<UInt8>
        let spans: UnsafeMutableBufferPointer<Range<Int>>
        var position = 0

        init(out: UnsafeMutableBufferPointer<UInt8>, spans: UnsafeMutableBufferPointer<Range<Int>>) {
            self.out = out
            self.spans = spans
        }

        mutating func put(_ byte: UInt8) {
            out[position] = byte
            position += 1
        }

        mutating func put(_ bytes: UnsafeRawBufferPointer) {
            precondition(position + bytes.count <= out.count, "the canonical form outgrew its bound")
            UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[position...])).copyMemory(
                from: bytes)
            position += bytes.count
        }

        mutating func put(_ literal: StaticString) {
            put(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }

        mutating func write(_ node: Int, of document: JSONDocument) {
            let start = position
            switch document.kind(node) {
            case .null: put("null")
            case .false: put("false")
            case .true: put("true")
            case .number: put(document.bytes(node))
            case .string:
                if document.nodes[node].inArena {
                    // Only strings that had escapes may need them: rare enough to go through an array.
                    var escaped: [UInt8] = []
                    CanonicalJSON.writeString(utf8: document.bytes(node), into: &escaped)
                    escaped.withUnsafeBytes { put($0) }
                } else {
                    // Unescaped input holds no quote, backslash or control character: it is canonical as it is.
                    put(UInt8(ascii: "\""))
                    put(document.bytes(node))
                    put(UInt8(ascii: "\""))
                }
            case .array:
                put(UInt8(ascii: "["))
                for (index, element) in document.elements(node).enumerated() {
                    if index > 0 { put(UInt8(ascii: ",")) }
                    write(element, of: document)
                }
                put(UInt8(ascii: "]"))
            case .object:
                put(UInt8(ascii: "{"))
                for (index, name) in document.names(node).enumerated() {
                    if index > 0 { put(UInt8(ascii: ",")) }
                    write(Int(name), of: document)
                    put(UInt8(ascii: ":"))
                    write(Int(name) + 1, of: document)
                }
                put(UInt8(ascii: "}"))
            }
            spans[node] = start..<position
        }
    }
}
