/// Reads the events of stored records, for the replays that read every record (`rebuild`,
/// `verify --deep`): the record's canonical bytes are parsed into a reused ``JSONTape`` and checked by
/// a `stored` ``EventReader``, so a record costs the `String`s its ``DomainEvent`` keeps instead of
/// a tree of values. The tree path (``JSONParser``, ``Event/init(validating:)``,
/// ``DomainEvent/init(_:vocabulary:stored:)``) still reads single events for the queries, and a
/// differential test holds the two together on stored forms.
///
/// One reader belongs to one thread.
final class StoredEventReader {
    private var tape = JSONTape()
    private var reader = EventReader(vocabulary: .standard, stored: true)
    private var writer = CanonicalTapeWriter()
    /// Whether ``read(_:)`` also checks that the bytes are the event's canonical form (the id in
    /// lowercase), which `verify` needs and a rebuild does not.
    let checksCanonicalForm: Bool

    init(checksCanonicalForm: Bool) {
        self.checksCanonicalForm = checksCanonicalForm
    }

    /// What is wrong with a record's event bytes.
    enum Failure: Error {
        /// Not JSON, or not an event in its stored form.
        case invalid
        /// A valid event, not written in its canonical form.
        case notCanonical
    }

    /// The event `bytes` hold in its stored form, slimmed (``DomainEvent/slimmed()``: no JSON).
    func read(_ bytes: [UInt8]) throws(Failure) -> DomainEvent {
        let outcome: Result<DomainEvent, Failure> = bytes.withUnsafeBytes { input in
            do throws(JSONSyntaxError) {
                try tape.parse(input)
            } catch {
                return .failure(.invalid)
            }
            return tape.withDocument(input) { document in
                let event: DomainEvent
                do throws(Rejection) {
                    event = try reader.read(document)
                } catch {
                    return .failure(.invalid)
                }
                guard checksCanonicalForm else { return .success(event) }
                writer.write(document)
                writer.lowercaseASCII(reader.idNode)
                let canonical = writer.withBytes { $0.elementsEqual(input) }
                return canonical ? .success(event) : .failure(.notCanonical)
            }
        }
        return try outcome.get()
    }
}
