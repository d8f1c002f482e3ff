/// The parties the workload registers before any person's event: the whole catalogue of
/// `schemas/vocabulary/parties.json` (so every kind the privacy policy names is there as a source and
/// as a recipient), the clients whose claims are collected, the person themself and a representative,
/// as `tools/make-sample.py` does; and one US processor certified under the EU-US Data Privacy
/// Framework, so that transfers covered by an adequacy decision occur as well as transfers that need a
/// safeguard.
struct Party: Sendable {
    let id: StaticString
    let kind: StaticString
    let name: StaticString
    let country: StaticString
    var certification: StaticString? = nil
}

/// A client: whose claims the company collects, with the invoices its claims typically arise from.
struct Client: Sendable {
    let party: Party
    let claimBases: [StaticString]
    /// The company bought these receivables, so it processes them for `debt_purchase`.
    let purchased: Bool
}

enum Parties {
    // The catalogue of parties.json, in its order.
    static let controller = Party(
        id: "lineage-collections", kind: "controller_internal", name: "Lineage Collections Oy", country: "FI")
    static let dvv = Party(
        id: "dvv", kind: "population_register", name: "Digital and Population Data Services Agency", country: "FI")
    static let skatteverket = Party(
        id: "skatteverket-folkbokforing", kind: "population_register", name: "Skatteverket, folkbokföringen",
        country: "SE")
    static let legalRegister = Party(
        id: "oikeusrekisterikeskus", kind: "legal_register", name: "Legal Register Centre", country: "FI")
    static let asiakastieto = Party(
        id: "asiakastieto", kind: "credit_bureau", name: "Suomen Asiakastieto Oy", country: "FI")
    static let uc = Party(id: "uc", kind: "credit_bureau", name: "UC AB", country: "SE")
    static let vero = Party(id: "vero", kind: "tax_authority", name: "Finnish Tax Administration", country: "FI")
    static let prh = Party(
        id: "prh", kind: "patent_registration_office", name: "Finnish Patent and Registration Office", country: "FI")
    static let fonecta = Party(
        id: "fonecta", kind: "contact_service", name: "Number and address service", country: "FI")
    static let traficom = Party(
        id: "traficom", kind: "traficom", name: "Finnish Transport and Communications Agency", country: "FI")
    static let court = Party(
        id: "helsingin-karajaoikeus", kind: "court", name: "District Court of Helsinki", country: "FI")
    static let ulosotto = Party(
        id: "ulosottolaitos", kind: "enforcement", name: "National Enforcement Authority Finland", country: "FI")
    static let kronofogden = Party(id: "kronofogden", kind: "enforcement", name: "Kronofogden", country: "SE")
    static let police = Party(id: "poliisi", kind: "police", name: "Police of Finland", country: "FI")
    static let ombudsman = Party(
        id: "tietosuojavaltuutettu", kind: "supervisory_authority", name: "Office of the Data Protection Ombudsman",
        country: "FI")
    static let imy = Party(
        id: "imy", kind: "supervisory_authority", name: "Integritetsskyddsmyndigheten", country: "SE")
    static let insurer = Party(id: "credit-insurer", kind: "insurer", name: "Credit insurer", country: "FI")
    static let agentSE = Party(
        id: "agent-se", kind: "foreign_agent", name: "Sister collection office, Sweden", country: "SE")
    static let agentUS = Party(id: "agent-us", kind: "foreign_agent", name: "US collection agent", country: "US")
    static let posti = Party(id: "posti", kind: "delivery_company", name: "Posti Oy", country: "FI")
    static let postnord = Party(id: "postnord", kind: "delivery_company", name: "PostNord AB", country: "SE")
    static let printAndMail = Party(
        id: "print-and-mail", kind: "processor", name: "Printing and mail processor", country: "FI")
    static let cloudStorageUS = Party(
        id: "cloud-storage-us", kind: "processor", name: "Storage processor", country: "US")
    static let groupIT = Party(id: "group-it", kind: "group_company", name: "Group IT services", country: "FI")

    // Beyond the catalogue.
    static let person = Party(
        id: "the-person", kind: "data_subject", name: "The person themself", country: "FI")
    static let guardian = Party(
        id: "guardian", kind: "representative", name: "A guardian or agent", country: "FI")
    static let messagingUS = Party(
        id: "messaging-us", kind: "processor", name: "Messaging processor", country: "US",
        certification: "data_privacy_framework")

    static let finnishClients: [Client] = [
        Client(
            party: Party(id: "aurora-energia", kind: "client", name: "Aurora Energia Oy", country: "FI"),
            claimBases: ["Unpaid electricity invoice", "Unpaid district heating invoice"], purchased: false),
        Client(
            party: Party(id: "kaupunkiasunnot", kind: "client", name: "Kaupunkiasunnot Oy", country: "FI"),
            claimBases: ["Unpaid rent", "Unpaid water and sauna charges"], purchased: false),
        Client(
            party: Party(id: "pohjolan-verkkokauppa", kind: "client", name: "Pohjolan Verkkokauppa Oy", country: "FI"),
            claimBases: ["Unpaid invoice purchase", "Unpaid instalment of an instalment purchase"], purchased: false),
        Client(
            party: Party(id: "saimaan-vesi", kind: "client", name: "Saimaan Vesi Oy", country: "FI"),
            claimBases: ["Unpaid water invoice"], purchased: false),
        Client(
            party: Party(id: "sointu-mobiili", kind: "client", name: "Sointu Mobiili Oy", country: "FI"),
            claimBases: ["Unpaid mobile subscription invoice", "Unpaid handset instalment"], purchased: true),
    ]

    static let swedishClients: [Client] = [
        Client(
            party: Party(id: "nordlys-telecom", kind: "client", name: "Nordlys Telecom AB", country: "SE"),
            claimBases: ["Unpaid broadband invoice", "Unpaid mobile subscription invoice"], purchased: false),
        Client(
            party: Party(id: "skargardens-el", kind: "client", name: "Skärgårdens El AB", country: "SE"),
            claimBases: ["Unpaid electricity invoice"], purchased: false),
        Client(
            party: Party(id: "bostads-vasa", kind: "client", name: "Bostadsbolaget Vasa AB", country: "SE"),
            claimBases: ["Unpaid rent", "Unpaid parking space rent"], purchased: true),
    ]

    /// Every client; a person's state keeps an index into this list.
    static let clients: [Client] = finnishClients + swedishClients

    /// Everything registered at the start, in order.
    static let registrations: [Party] =
        [
            controller, dvv, skatteverket, legalRegister, asiakastieto, uc, vero, prh, fonecta, traficom, court,
            ulosotto, kronofogden, police, ombudsman, imy, insurer, agentSE, agentUS, posti, postnord, printAndMail,
            cloudStorageUS, groupIT,
        ] + clients.map(\.party) + [person, guardian, messagingUS]
}
