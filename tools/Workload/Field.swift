/// The fields of `schemas/vocabulary/fields.json` the workload produces, one bit each in a person's
/// record of what has been ingested about them: a disclosure may only name a field the person has a
/// value for (rule `disclosure.no_live_value`), and a bit is all that takes to know.
///
/// The Art. 9 special categories other than a flagged social force majeure are left out on purpose:
/// the ledger refuses them, and a workload that must produce zero rejections never sends them.
enum Field: Int, CaseIterable {
    // identification_contact
    case name, personalIdentityCode, birthDate, address, phone, email, bankAccount
    // collection_invoicing
    case caseNumber, claimAmount, claimBasis, payment
    // public_registers
    case publicCreditInformation, authorityDecision
    // vehicle, call_recordings, late_payment_reasons, third_parties
    case vehicleOwnerHolder, callRecording, latePaymentReason, thirdPartyContact
    // financial_standing
    case paymentDefault, creditHistory, debt, income, assets, creditRating
    // special_categories, only ever flagged and from the person or their representative
    case socialForceMajeure

    var bit: UInt32 { 1 << UInt32(rawValue) }

    /// The field's id in the vocabulary.
    var id: StaticString {
        switch self {
        case .name: return "name"
        case .personalIdentityCode: return "personal_identity_code"
        case .birthDate: return "birth_date"
        case .address: return "address"
        case .phone: return "phone"
        case .email: return "email"
        case .bankAccount: return "bank_account"
        case .caseNumber: return "case_number"
        case .claimAmount: return "claim_amount"
        case .claimBasis: return "claim_basis"
        case .payment: return "payment"
        case .publicCreditInformation: return "public_credit_information"
        case .authorityDecision: return "authority_decision"
        case .vehicleOwnerHolder: return "vehicle_owner_holder"
        case .callRecording: return "call_recording"
        case .latePaymentReason: return "late_payment_reason"
        case .thirdPartyContact: return "third_party_contact"
        case .paymentDefault: return "payment_default"
        case .creditHistory: return "credit_history"
        case .debt: return "debt"
        case .income: return "income"
        case .assets: return "assets"
        case .creditRating: return "credit_rating"
        case .socialForceMajeure: return "social_force_majeure"
        }
    }
}
