/// What can happen to a person once their case is under way (``PersonState/Step/underway``), each
/// with a weight: the workload draws one for each of the person's events, in proportion to the
/// weights, and draws again when the drawn one cannot happen to this person now (no open case for a
/// payment, no legal track for a court filing, no payment default to report to a credit bureau).
///
/// The weights are per mille of the draws and give the proportions of a collection company's feed:
/// payments, letters and client reports all the time; register and credit checks for many people;
/// courts and enforcement for the legal track; call recordings, late-payment reasons and foreign
/// agents for a few. Later kinds of event (rectification, erasure, restriction, automated decisions,
/// access requests) slot in as further cases with their weights and writers.
enum Activity: CaseIterable {
    // Ingestions, by source.
    case payment, claimUpdate, interestAndFees, populationRegister, contactService, creditBureau, taxData
    case vehicleRegister, legalRegister, tradeRegister, personContact, latePaymentReason, socialForceMajeure
    case callRecording, representativeContact, courtDecision, enforcementFindings, policeReport
    case supervisoryComplaint, insurerPayment, agentReport, forwardingAddress, scannedLetter, groupContact
    // Disclosures, by recipient.
    case letter, printAndMail, clientReport, creditBureauReport, contactCheck, courtFiling, enforcementRequest
    case foreignAgent, insurerReport, cloudStorage, messaging, groupServices, copyToPerson, representativeLetter
    case taxAuthorityReport, policeDisclosure, supervisoryReply, registerQuery
    // The case's life.
    case closeCase, openCase

    var weight: Int {
        switch self {
        case .payment: return 80
        case .claimUpdate: return 40
        case .interestAndFees: return 30
        case .populationRegister: return 25
        case .contactService: return 25
        case .creditBureau: return 35
        case .taxData: return 25
        case .vehicleRegister: return 10
        case .legalRegister: return 10
        case .tradeRegister: return 4
        case .personContact: return 25
        case .latePaymentReason: return 8
        case .socialForceMajeure: return 2
        case .callRecording: return 8
        case .representativeContact: return 4
        case .courtDecision: return 10
        case .enforcementFindings: return 10
        case .policeReport: return 3
        case .supervisoryComplaint: return 4
        case .insurerPayment: return 4
        case .agentReport: return 6
        case .forwardingAddress: return 5
        case .scannedLetter: return 3
        case .groupContact: return 3
        case .letter: return 90
        case .printAndMail: return 55
        case .clientReport: return 50
        case .creditBureauReport: return 15
        case .contactCheck: return 20
        case .courtFiling: return 10
        case .enforcementRequest: return 10
        case .foreignAgent: return 8
        case .insurerReport: return 4
        case .cloudStorage: return 4
        case .messaging: return 6
        case .groupServices: return 4
        case .copyToPerson: return 3
        case .representativeLetter: return 4
        case .taxAuthorityReport: return 2
        case .policeDisclosure: return 3
        case .supervisoryReply: return 4
        case .registerQuery: return 6
        case .closeCase: return 15
        case .openCase: return 30
        }
    }

    /// Each activity repeated by its weight: a draw is one index into it.
    static let drawTable: [Activity] = allCases.flatMap { [Activity](repeating: $0, count: $0.weight) }

    /// Whether the activity needs an open case (and then always names it).
    var needsOpenCase: Bool {
        switch self {
        case .payment, .claimUpdate, .interestAndFees, .insurerPayment, .letter, .printAndMail, .clientReport,
            .courtFiling, .enforcementRequest, .insurerReport, .copyToPerson, .closeCase:
            return true
        default:
            return false
        }
    }

    /// The fields a disclosure sends: all of `required` (it does not happen without them), at least one
    /// of `oneOf` when that is not empty, and whichever of `optional` the person has.
    struct Disclosure {
        var required: UInt32
        var oneOf: UInt32 = 0
        var optional: UInt32 = 0

        func fields(ingested: UInt32) -> UInt32? {
            guard ingested & required == required, oneOf == 0 || ingested & oneOf != 0 else { return nil }
            return required | (ingested & (oneOf | optional))
        }
    }

    /// The disclosure's fields, within what its recipient's kind may receive (docs/EVENTS.md,
    /// `disclosure.category_not_allowed`); nil for an activity that discloses nothing.
    var disclosure: Disclosure? {
        let name = Field.name.bit
        let code = Field.personalIdentityCode.bit
        let address = Field.address.bit
        let claim = Field.claimAmount.bit
        let caseNumber = Field.caseNumber.bit
        switch self {
        case .letter:  // delivery companies: name and address only
            return Disclosure(required: name | address)
        case .printAndMail:
            return Disclosure(
                required: name | address | claim, optional: caseNumber | Field.claimBasis.bit | Field.bankAccount.bit)
        case .clientReport:
            return Disclosure(
                required: name | claim,
                optional: address | caseNumber | Field.payment.bit | Field.phone.bit | Field.latePaymentReason.bit)
        case .creditBureauReport:  // identification and financial standing only
            return Disclosure(required: name | code | Field.paymentDefault.bit, optional: Field.debt.bit)
        case .contactCheck:  // identification and contact only
            return Disclosure(required: name | address, optional: code | Field.phone.bit)
        case .courtFiling:
            return Disclosure(required: name | code | address | claim | Field.claimBasis.bit, optional: caseNumber)
        case .enforcementRequest:
            return Disclosure(required: name | code | claim, optional: address | Field.authorityDecision.bit)
        case .foreignAgent:
            return Disclosure(required: name | address | claim, optional: Field.phone.bit | Field.email.bit)
        case .insurerReport:  // identification and the claim only
            return Disclosure(required: name | claim, optional: Field.payment.bit | caseNumber)
        case .cloudStorage:
            return Disclosure(required: name | claim, optional: caseNumber | Field.callRecording.bit)
        case .messaging:
            return Disclosure(required: name, oneOf: Field.phone.bit | Field.email.bit)
        case .groupServices:
            return Disclosure(required: name, optional: Field.email.bit | Field.phone.bit | caseNumber)
        case .copyToPerson:
            return Disclosure(
                required: name | address | claim, optional: caseNumber | Field.claimBasis.bit | Field.payment.bit)
        case .representativeLetter:
            return Disclosure(required: name | claim, optional: caseNumber | Field.claimBasis.bit)
        case .taxAuthorityReport:
            return Disclosure(required: name | code, optional: Field.payment.bit)
        case .policeDisclosure:
            return Disclosure(required: name | code, optional: address | Field.phone.bit)
        case .supervisoryReply:
            return Disclosure(required: name, optional: caseNumber | Field.email.bit)
        case .registerQuery:
            return Disclosure(required: code, optional: name)
        default:
            return nil
        }
    }

    /// Whether the activity can happen to this person now.
    func isPossible(_ state: PersonState, _ identity: PersonIdentity) -> Bool {
        if needsOpenCase && !state.caseOpen { return false }
        if let disclosure, disclosure.fields(ingested: state.ingested) == nil { return false }
        switch self {
        case .openCase: return !state.caseOpen
        case .vehicleRegister: return identity.ownsVehicle
        case .courtDecision, .enforcementFindings, .courtFiling, .enforcementRequest: return identity.legalTrack
        case .supervisoryComplaint, .supervisoryReply: return identity.complainant
        case .representativeContact, .representativeLetter: return identity.hasRepresentative
        case .agentReport, .foreignAgent: return identity.abroad
        // The catalogue's tax, legal and trade registers and its police are Finnish: they know Finnish
        // residents only. The police meet only cases on the legal track (fraud reports).
        case .taxData, .legalRegister, .tradeRegister, .taxAuthorityReport, .registerQuery: return !identity.swedish
        case .policeReport, .policeDisclosure: return identity.legalTrack && !identity.swedish
        default: return true
        }
    }
}
