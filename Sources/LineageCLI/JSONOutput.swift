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
