/// Fixed-width big-endian integers: the key encoding that makes LMDB's byte order numeric order.
public enum BigEndian {
    public static func bytes(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    public static func bytes(_ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// Appends the value's 8 bytes to `out`: an encoder writing into one buffer of its exact size,
    /// without the array `bytes(_:)` allocates (the write path encoded a dozen such per event).
    @inlinable
    public static func append(_ value: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    /// Appends the value's 4 bytes to `out`.
    @inlinable
    public static func append(_ value: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    /// Reads a `UInt64` from the 8 bytes at `offset` of an array; `nil` when fewer remain. The
    /// array overloads exist because the generic ones are not specialised across modules, and keys
    /// are decoded on every projection read.
    public static func uint64(_ bytes: [UInt8], at offset: Int = 0) -> UInt64? {
        guard offset >= 0, bytes.count >= offset + 8 else { return nil }
        var value: UInt64 = 0
        for index in offset..<(offset + 8) { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    /// Reads a `UInt32` from the 4 bytes at `offset` of an array; `nil` when fewer remain.
    public static func uint32(_ bytes: [UInt8], at offset: Int = 0) -> UInt32? {
        guard offset >= 0, bytes.count >= offset + 4 else { return nil }
        var value: UInt32 = 0
        for index in offset..<(offset + 4) { value = value << 8 | UInt32(bytes[index]) }
        return value
    }

    /// Reads a `UInt64` from the 8 bytes at `offset`; `nil` when fewer remain.
    public static func uint64(_ bytes: some Collection<UInt8>, at offset: Int = 0) -> UInt64? {
        guard bytes.count >= offset + 8 else { return nil }
        var value: UInt64 = 0
        for byte in bytes.dropFirst(offset).prefix(8) { value = value << 8 | UInt64(byte) }
        return value
    }

    /// Reads a `UInt32` from the 4 bytes at `offset`; `nil` when fewer remain.
    public static func uint32(_ bytes: some Collection<UInt8>, at offset: Int = 0) -> UInt32? {
        guard bytes.count >= offset + 4 else { return nil }
        var value: UInt32 = 0
        for byte in bytes.dropFirst(offset).prefix(4) { value = value << 8 | UInt32(byte) }
        return value
    }
}
