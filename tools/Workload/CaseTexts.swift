/// The free texts of a collection case, as the parties that send them word them: reasons people give,
/// what registers and authorities report. Some carry quotation marks, as real notes do, so that the
/// JSON escaping is exercised by every run.
///
/// None of them is health, belief or another Art. 9 category, except the social force majeure texts,
/// which are only ever sent flagged and from the person (docs/EVENTS.md, `field.special_category`).
enum CaseTexts {
    static let latePaymentReasons: [StaticString] = [
        "Unemployed since the spring, looking for work",
        "The invoice went to my old address",
        "I thought my spouse had paid it",
        "Waiting for my salary, will pay on the 15th",
        "Disputes the amount: \"the meter reading was wrong\"",
        "Divorce, the household's finances are being divided",
        "Moved abroad for work and missed the letters",
        "Was temporarily laid off for three months",
        "Says the service was cancelled: \"I terminated the contract in writing\"",
        "Too many bills at once after Christmas",
    ]

    static let socialForceMajeure: [StaticString] = [
        "Serious illness in the family",
        "Long illness and loss of income",
        "Death of a close family member",
        "Sudden serious illness, hospitalised for two months",
    ]

    static let publicCreditInformation: [StaticString] = [
        "No bankruptcy, company restructuring or debt adjustment on record",
        "Debt adjustment programme confirmed by the district court, five years",
        "Application for debt adjustment pending",
        "Bankruptcy of a sole trader's business concluded",
        "No entries",
    ]

    static let tradeRegister: [StaticString] = [
        "Not registered as a trader",
        "Sole trader, business active",
        "Sole trader, business discontinued",
        "No business prohibition in force",
    ]

    static let courtDecisions: [StaticString] = [
        "Judgment by default: the claim is payable with interest and costs",
        "Summons served",
        "Judgment: the claim is payable, the defence is dismissed",
        "The case was withdrawn by the applicant",
    ]

    static let enforcementFindings: [StaticString] = [
        "Wages attached at one third of net income",
        "No attachable assets found",
        "Pension attached",
        "Tax refund attached",
        "Owns a share of a residential flat",
        "Obstacle certificate issued: no assets",
    ]

    static let policeReports: [StaticString] = [
        "Report of an offence filed: fraud",
        "Report of an offence filed: identity theft claimed by the person",
        "Preliminary investigation closed",
    ]

    static let paymentDefaults: [StaticString] = [
        "Payment default registered: unpaid consumer credit",
        "Payment default registered: judgment by default",
        "Payment default registered: enforcement obstacle",
        "Two payment defaults registered in the last three years",
        "No payment defaults",
    ]

    static let creditHistories: [StaticString] = [
        "Three payment defaults in the last four years, the oldest settled",
        "Consumer credit of several lenders, instalments late",
        "No credit history of note",
        "Mortgage with a domestic bank, paid as agreed",
    ]

    static let creditRatings: [StaticString] = ["AAA", "AA", "A", "B", "C", "Score 312/1000", "Score 688/1000"]

    static let vehicles: [StaticString] = [
        "Toyota Corolla", "Volkswagen Golf", "Skoda Octavia", "Volvo V70", "Ford Focus", "Kia Ceed", "Audi A4",
        "Nissan Qashqai", "Tesla Model 3", "Mercedes-Benz Sprinter",
    ]

    static let relations: [StaticString] = [
        "Guardian appointed by the district court:", "Spouse, authorised to handle the matter:",
        "Legal aid office counsel:", "Son, holding a power of attorney:",
    ]

    static let closeReasons: [StaticString] = [
        "paid", "paid", "paid", "paid", "paid", "settled", "withdrawn", "withdrawn", "sold", "returned_to_client",
    ]

    static let complaints: [StaticString] = [
        "Complaint about the collection letters forwarded by the supervisory authority",
        "Request for information from the supervisory authority about the processing",
    ]
}
