/// What the workload remembers about one person between their events: 16 bytes, so that the 300,000
/// people of a ten-million-event run need about 5 MB. Everything else about a person is recomputed
/// from the seed (``PersonIdentity``).
struct PersonState {
    /// The fields ingested about the person so far, one bit per ``Field``: what may be disclosed.
    var ingested: UInt32 = 0
    /// The person's events so far, for the probe people's exact counts and for reports.
    var events: UInt32 = 0
    /// The number of the person's current (or last) case, unique in the workload; 0 before the first.
    var caseNumber: UInt32 = 0
    /// Where the person's current case is: the opening steps in order, then anything (``Step``).
    var step: Step = .openCase
    /// Bumped when the person moves: their address is a function of it.
    var addressVersion: UInt8 = 0
    /// Index into ``Parties/clients`` of the current case's client.
    var client: UInt8 = 0
    var caseOpen = false

    /// A case begins the same way every time: the client opens it and hands over the claim and the
    /// person's details, the company gives it its own case number, and the population register
    /// confirms who and where the person is. After that, anything (``Activity``) can happen.
    enum Step: UInt8 {
        case openCase, clientHandover, caseNumber, populationRegister, underway
    }

    func has(_ field: Field) -> Bool { ingested & field.bit != 0 }
}
