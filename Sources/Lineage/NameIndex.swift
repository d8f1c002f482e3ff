/// Names (a vocabulary's ids, the country codes, the channels) looked up by their UTF-8 bytes, as the
/// import reads them from a JSON tape, without making a `String` to hash: a name found is returned as
/// the index's own `String`, shared rather than copied.
///
/// The answer is always the one the `Dictionary<String, Value>` (or `Set<String>`) it was built from
/// gives. When the name and every entry are ASCII, `String` equality is byte equality and the bytes
/// decide; otherwise the text is made a `String` and asked of the dictionary, because `String`
/// compares canonically equivalent spellings as equal (U+212A KELVIN SIGN equals `K`, so `"\u212AE"`
/// is in a `Set` holding `"KE"`).
struct NameIndex<Value: Sendable>: Sendable {
    let dictionary: [String: Value]
    private let names: [String]
    private let values: [Value]
    /// The names' bytes, one after another: entry i is `utf8[offsets[i]..<offsets[i + 1]]`.
    private let utf8: [UInt8]
    private let offsets: [Int]
    /// Open addressing by hash: an entry's index, or -1. A power of two, at most half full.
    private let slots: [Int32]
    private let allASCII: Bool

    init(_ dictionary: [String: Value]) {
        self.dictionary = dictionary
        let entries = dictionary.sorted { $0.key < $1.key }
        let names = entries.map(\.key)
        var utf8: [UInt8] = []
        var offsets = [0]
        for name in names {
            utf8.append(contentsOf: name.utf8)
            offsets.append(utf8.count)
        }
        allASCII = utf8.allSatisfy { $0 < 0x80 }
        var capacity = 4
        while capacity < 2 * names.count { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        utf8.withUnsafeBytes { bytes in
            for index in names.indices {
                var slot = Self.hash(UnsafeRawBufferPointer(rebasing: bytes[offsets[index]..<offsets[index + 1]])).hash
                while slots[slot & (capacity - 1)] >= 0 { slot += 1 }
                slots[slot & (capacity - 1)] = Int32(index)
            }
        }
        self.names = names
        values = entries.map(\.value)
        self.utf8 = utf8
        self.offsets = offsets
        self.slots = slots
    }

    init(_ names: some Sequence<String>) where Value == Void {
        self.init(Dictionary(names.map { ($0, ()) }, uniquingKeysWith: { first, _ in first }))
    }

    /// The entry `text` names, with the name as the dictionary holds it (or as given, when found
    /// through `String`), or nil.
    func entry(_ text: UnsafeRawBufferPointer) -> (name: String, value: Value)? {
        let (hash, bits) = Self.hash(text)
        guard allASCII, bits < 0x80 else {
            let name = String(decoding: text, as: UTF8.self)
            return dictionary[name].map { (name, $0) }
        }
        return slots.withUnsafeBufferPointer { slots in
            offsets.withUnsafeBufferPointer { offsets in
                utf8.withUnsafeBytes { utf8 in
                    var slot = hash
                    while true {
                        let index = Int(slots[slot & (slots.count - 1)])
                        guard index >= 0 else { return nil }
                        let name = UnsafeRawBufferPointer(rebasing: utf8[offsets[index]..<offsets[index + 1]])
                        if name.count == text.count && compareBytes(name, text) == 0 {
                            return (names[index], values[index])
                        }
                        slot += 1
                    }
                }
            }
        }
    }

    func contains(_ text: UnsafeRawBufferPointer) -> Bool { entry(text) != nil }

    /// FNV-1a (short names need no more), and the bytes ORed together, which say whether the text is
    /// ASCII.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> (hash: Int, bits: UInt8) {
        var hash: UInt32 = 2_166_136_261
        var bits: UInt8 = 0
        for byte in bytes {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
            bits |= byte
        }
        return (Int(hash), bits)
    }
}
