/// A parsed JSON value, as the ledger understands JSON: objects keep their members sorted by key
/// (UTF-8 byte order) and reject duplicate keys; numbers keep their exact decimal value (never a
/// binary double) in a canonical spelling, so `12.10` and `1.21e1` are the same number and nothing
/// is lost to floating point.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's canonical spelling (see ``CanonicalJSON``).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type's name, for error messages (never the value itself).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// A JSON object's members, sorted by key in UTF-8 byte order, keys unique.
public struct JSONObject: Equatable, Sendable {
    public internal(set) var members: [(key: String, value: JSONValue)]

    /// Builds an object from members in any order; `nil` if a key repeats.
    public init?(_ unsorted: [(key: String, value: JSONValue)]) {
        // Canonical input (every stored record, most feeds) is already in order: check before sorting.
        let inOrder = unsorted.indices.dropFirst().allSatisfy {
            unsorted[$0 - 1].key.utf8.lexicographicallyPrecedes(unsorted[$0].key.utf8)
        }
        if inOrder {
            members = unsorted
            return
        }
        let sorted = unsorted.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for index in sorted.indices.dropFirst() where sorted[index].key == sorted[index - 1].key {
            return nil
        }
        members = sorted
    }

    /// Members already in key order and accepted as unique by the same rule (a parsed tape's).
    init(sorted members: [(key: String, value: JSONValue)]) {
        self.members = members
    }

    static let empty = JSONObject([])!

    public subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    public var keys: [String] { members.map(\.key) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
