import LedgerStore

/// A stored record read in place, for the queries: the parts of ``EventRecord``'s layout found by
/// their lengths, without copying them out of the map. Like the bytes it reads (lent by
/// ``AppendOnlyLog/withRecord(at:in:_:)``), a view must not outlive the transaction's closure.
///
/// The layout (version 2): version ‖ recordedAt (8) ‖ E (4) ‖ canonical event ‖ S (4) ‖ sealed
/// section ‖ R (4) ‖ resolution section. All integers big-endian (docs/FORMAT.md).
struct RecordView {
    /// When the ledger committed the event, in microseconds since the Unix epoch.
    let recordedAt: Int64
    /// The event's canonical JSON.
    let canonicalEvent: UnsafeRawBufferPointer
    /// The sealed values (empty when the event carries none).
    let sealed: UnsafeRawBufferPointer
    /// What the ledger resolved when it recorded the event (empty for all but disclosures).
    let resolution: UnsafeRawBufferPointer

    /// Reads `bytes`; `nil` unless they are a well-formed record of the current version, every
    /// length inside them and nothing after the last section.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 21, bytes.first == EventRecord.formatVersion else { return nil }
        let eventLength = Int(Self.uint32(bytes, at: 9))
        guard bytes.count - 21 >= eventLength else { return nil }
        let sealedStart = 17 + eventLength
        let sealedLength = Int(Self.uint32(bytes, at: 13 + eventLength))
        guard bytes.count - sealedStart - 4 >= sealedLength else { return nil }
        let sealedEnd = sealedStart + sealedLength
        let resolutionLength = Int(Self.uint32(bytes, at: sealedEnd))
        guard bytes.count - sealedEnd - 4 == resolutionLength else { return nil }
        recordedAt = Int64(bitPattern: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt64.self)))
        canonicalEvent = UnsafeRawBufferPointer(rebasing: bytes[13..<(13 + eventLength)])
        sealed = UnsafeRawBufferPointer(rebasing: bytes[sealedStart..<sealedEnd])
        resolution = UnsafeRawBufferPointer(rebasing: bytes[(sealedEnd + 4)...])
    }

    @inline(__always)
    static func uint32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    private static let idPrefix = Array(#"{"id":""#.utf8)

    /// The event id's 16 bytes, written to `out`. A canonical event's members are sorted, so it
    /// starts with `{"id":"` and the id's 36 lowercase characters; anything else is parsed as JSON
    /// (which never happens to a record this ledger wrote). `nil` when the event has no valid id.
    func eventID(into out: UnsafeMutableRawBufferPointer) -> Bool {
        precondition(out.count >= 16)
        let event = canonicalEvent
        if event.count > 44, event.starts(with: Self.idPrefix), event[43] == UInt8(ascii: "\"") {
            var position = 7
            var written = 0
            var valid = true
            while written < 16 {
                if position == 15 || position == 20 || position == 25 || position == 30 {
                    if event[position] != UInt8(ascii: "-") { valid = false }
                    position += 1
                }
                guard let high = Self.lowercaseHex(event[position]), let low = Self.lowercaseHex(event[position + 1])
                else {
                    valid = false
                    break
                }
                out[written] = high << 4 | low
                written += 1
                position += 2
            }
            if valid { return true }
        }
        guard case .object(let object) = try? JSONParser.parse(event), case .string(let text) = object["id"],
            let id = EventID(text)
        else { return false }
        for (index, byte) in id.bytes.enumerated() { out[index] = byte }
        return true
    }

    @inline(__always)
    private static func lowercaseHex(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return char &- UInt8(ascii: "a") &+ 10
        default: return nil
        }
    }
}

/// A record's sealed section read in place: count N (4 bytes), then per value its data key id (16),
/// a length L (4) and nonce ‖ ciphertext ‖ tag (L bytes) — what ``SealedValue/decode(_:)`` reads,
/// without an array per value.
struct SealedSectionView {
    let bytes: UnsafeRawBufferPointer
    /// The number of values.
    let count: Int

    /// Reads and checks the whole section: `nil` when a length runs past its end, a box is too short
    /// to hold a nonce and a tag, or bytes follow the last value.
    init?(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        guard !bytes.isEmpty else {
            count = 0
            return
        }
        guard bytes.count >= 4 else { return nil }
        let count = Int(RecordView.uint32(bytes, at: 0))
        var offset = 4
        for _ in 0..<count {
            guard bytes.count - offset >= 20 else { return nil }
            let length = Int(RecordView.uint32(bytes, at: offset + 16))
            guard length >= SealedBox.nonceByteCount + SealedBox.tagByteCount, bytes.count - offset - 20 >= length
            else { return nil }
            offset += 20 + length
        }
        guard offset == bytes.count else { return nil }
        self.count = count
    }

    /// The `index`-th value: its data key id (16 bytes) and its box (nonce ‖ ciphertext ‖ tag).
    func value(at index: Int) -> (keyID: UnsafeRawBufferPointer, box: UnsafeRawBufferPointer)? {
        guard index >= 0, index < count else { return nil }
        var offset = 4
        for _ in 0..<index { offset += 20 + Int(RecordView.uint32(bytes, at: offset + 16)) }
        let length = Int(RecordView.uint32(bytes, at: offset + 16))
        return (
            UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 16)]),
            UnsafeRawBufferPointer(rebasing: bytes[(offset + 20)..<(offset + 20 + length)])
        )
    }
}
