/// Writes events as JSON bytes straight into one reusable buffer: no Foundation encoder, no
/// intermediate strings, no allocation once the buffer has grown to its working size. The member
/// order is fixed, so the same choices always give the same bytes.
///
/// Strings are written as UTF-8 and escaped only where JSON requires it (RFC 8259 §7: the quotation
/// mark, the reverse solidus and the control characters below U+0020), so "Mäkelä" stays readable.
struct EventEncoder {
    /// The bytes, in memory of the encoder's own: appending a byte is a capacity check and a store,
    /// without the uniqueness check and the generic paths of an append to an `Array` (about a third of
    /// the generator's time when it used one).
    ///
    /// Unchecked Sendable: a copy of an encoder shares the storage only until its next `reset()`, which
    /// every public entry point of the generator calls first; the uniqueness check there is atomic, so
    /// two copies in two threads each end up with storage of their own before either writes.
    private final class Storage: @unchecked Sendable {
        var base: UnsafeMutablePointer<UInt8>
        var capacity: Int

        init(capacity: Int) {
            self.capacity = max(capacity, 4096)
            base = .allocate(capacity: self.capacity)
        }

        deinit { base.deallocate() }
    }

    private var storage: Storage
    /// The bytes written since the last `reset()`.
    private(set) var count = 0

    init(capacity: Int) { storage = Storage(capacity: capacity) }

    /// Empties the encoder. A copy of the encoder (say, of a copied generator) shares its storage until
    /// then; here it gets storage of its own, so copies never write into each other's bytes.
    mutating func reset() {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(capacity: storage.capacity) }
        count = 0
    }

    /// The bytes written since the last reset.
    var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage.base, count: count) }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > storage.capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        let capacity = max(needed, storage.capacity * 2)
        let base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        base.update(from: storage.base, count: count)
        storage.base.deallocate()
        storage.base = base
        storage.capacity = capacity
    }

    // MARK: Raw pieces

    /// Appends bytes the caller knows need no escaping (member names, punctuation).
    @inline(__always)
    mutating func raw(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length)
        (storage.base + count).update(from: text.utf8Start, count: length)
        count += length
    }

    @inline(__always)
    mutating func raw(_ text: [UInt8]) {
        reserve(text.count)
        text.withUnsafeBufferPointer { (storage.base + count).update(from: $0.baseAddress!, count: $0.count) }
        count += text.count
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        reserve(1)
        storage.base[count] = value
        count += 1
    }

    /// The part of a JSON string between its quotes, escaped.
    mutating func text(_ text: [UInt8]) {
        text.withUnsafeBufferPointer { escaped($0) }
    }

    mutating func text(_ text: StaticString) {
        escaped(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func escaped(_ text: UnsafeBufferPointer<UInt8>) {
        reserve(text.count * 6)  // \u00XX at worst
        let base = storage.base
        for byte in text {
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
                base[count] = byte
                count += 1
            } else {
                escape(byte)
            }
        }
    }

    private mutating func escape(_ byte: UInt8) {
        self.byte(UInt8(ascii: "\\"))
        switch byte {
        case 0x22: self.byte(0x22)
        case 0x5C: self.byte(0x5C)
        case 0x0A: self.byte(UInt8(ascii: "n"))
        case 0x0D: self.byte(UInt8(ascii: "r"))
        case 0x09: self.byte(UInt8(ascii: "t"))
        case 0x08: self.byte(UInt8(ascii: "b"))
        case 0x0C: self.byte(UInt8(ascii: "f"))
        default:
            raw("u00")
            self.byte(Self.hexDigits[Int(byte >> 4)])
            self.byte(Self.hexDigits[Int(byte & 0x0F)])
        }
    }

    /// A non-negative integer in decimal, left-padded with zeros to `width` digits.
    mutating func digits(_ value: Int, width: Int = 1) {
        precondition(value >= 0, "only non-negative numbers are written as digits")
        var length = 1
        var power = 10
        while power <= value && length < 19 {
            length += 1
            power &*= 10
        }
        length = max(length, width)
        reserve(length)
        // From the last digit back, zeros where the number has run out.
        let base = storage.base
        var rest = value
        var index = count + length - 1
        while index >= count {
            base[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
            index -= 1
        }
        count += length
    }

    /// An amount of money as the vocabulary's `money` type wants it: a decimal string, two decimals.
    mutating func money(cents: Int) {
        digits(cents / 100)
        byte(UInt8(ascii: "."))
        digits(cents % 100, width: 2)
    }

    /// A date as `YYYY-MM-DD`.
    mutating func date(days: Int) {
        let date = CivilCalendar.date(days: days)
        digits(date.year, width: 4)
        byte(UInt8(ascii: "-"))
        digits(date.month, width: 2)
        byte(UInt8(ascii: "-"))
        digits(date.day, width: 2)
    }

    /// An RFC 3339 UTC time to the second, as `YYYY-MM-DDTHH:MM:SSZ`.
    mutating func timestamp(seconds: Int64) {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        date(days: days)
        byte(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, width: 2)
        byte(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, width: 2)
        byte(UInt8(ascii: ":"))
        digits(secondOfDay % 60, width: 2)
        byte(UInt8(ascii: "Z"))
    }

    /// A UUID in its lowercase 8-4-4-4-12 spelling, from two 64-bit words.
    mutating func uuid(high: UInt64, low: UInt64) {
        reserve(36)
        let base = storage.base
        Self.hexDigits.withUnsafeBufferPointer { hex in
            for nibble in 0..<32 {
                if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 {
                    base[count] = UInt8(ascii: "-")
                    count += 1
                }
                let word = nibble < 16 ? high : low
                base[count] = hex[Int(truncatingIfNeeded: (word >> UInt64(60 - 4 * (nibble & 15))) & 0xF)]
                count += 1
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    // MARK: Event structure

    /// `{"id":…,"type":…,"occurredAt":…` — the envelope up to the subject.
    mutating func beginEvent(id: (high: UInt64, low: UInt64), type: StaticString, at seconds: Int64) {
        raw("{\"id\":\"")
        uuid(high: id.high, low: id.low)
        raw("\",\"type\":\"")
        raw(type)
        raw("\",\"occurredAt\":\"")
        timestamp(seconds: seconds)
        quote()
    }

    /// `,"subject":"` — the caller writes the subject's text and `quote()`.
    mutating func openSubject() { raw(",\"subject\":\"") }

    /// The rest of the envelope, up to the opening brace of the payload.
    mutating func beginPayload() { raw(",\"schemaVersion\":1,\"payload\":{") }

    mutating func endEvent() { raw("}}") }

    /// `"name":"` — a string member's name and opening quote; the caller writes the text and `quote()`.
    @inline(__always)
    mutating func openString(_ name: StaticString) {
        byte(UInt8(ascii: "\""))
        raw(name)
        raw("\":\"")
    }

    @inline(__always)
    mutating func quote() { byte(UInt8(ascii: "\"")) }

    @inline(__always)
    mutating func comma() { byte(UInt8(ascii: ",")) }

    /// A member whose value is a string known to need no escaping (identifiers, vocabulary words).
    mutating func member(_ name: StaticString, _ value: StaticString) {
        openString(name)
        raw(value)
        quote()
    }
}
