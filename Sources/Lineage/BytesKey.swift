/// A byte string as a dictionary key, hashed as one buffer. `[UInt8]`'s own `Hashable` feeds the
/// hasher one element at a time, which made the write path's lookups by unit and by key id (16 to
/// 60 bytes) a few percent of an import.
struct BytesKey: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }

    static func == (a: BytesKey, b: BytesKey) -> Bool { a.bytes == b.bytes }
}
