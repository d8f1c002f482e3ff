/// What each step and activity writes: the payload of its event, its source or recipient, legal basis
/// and purpose, and the person's state after it. The values come from the person's identity and
/// from the texts a collection case collects; every field disclosed is one the person has (the
/// state's `ingested` bits), every recipient receives only what its kind may.
extension WorkloadGenerator {
    // MARK: The opening steps of a case

    mutating func writeCaseOpened(_ state: inout PersonState, _ identity: PersonIdentity, _ person: Int) {
        // A person's next case is often from the same client (another invoice), else from any client
        // of their country.
        if state.caseNumber == 0 || random.percent(60) {
            let clients = identity.swedish ? Parties.swedishClients : Parties.finnishClients
            let offset = identity.swedish ? Parties.finnishClients.count : 0
            state.client = UInt8(offset + random.below(clients.count))
        }
        state.caseNumber = nextCaseNumber
        nextCaseNumber &+= 1
        state.caseOpen = true
        state.step = .clientHandover
        begin("case.opened", person: person)
        writeCaseMember(state)
        out.comma()
        out.member("client", Parties.clients[Int(state.client)].party.id)
        out.endEvent()
    }

    /// The client hands the claim over with what it knows of the person.
    mutating func writeClientHandover(_ state: inout PersonState, _ identity: PersonIdentity, _ person: Int) {
        let client = Parties.clients[Int(state.client)]
        let firstCase = state.ingested == 0
        beginIngestion(state, person: person, source: client.party, withCase: true)
        item(.name, &state)
        identity.writeName(to: &out)
        endItem()
        if random.percent(state.has(.personalIdentityCode) ? 50 : 85) {
            item(.personalIdentityCode, &state)
            identity.writeIdentityCode(to: &out)
            endItem()
        } else if random.percent(70) {
            item(.birthDate, &state)
            identity.writeBirthDate(to: &out)
            endItem()
        }
        item(.address, &state)
        identity.writeAddress(version: Int(state.addressVersion), to: &out)
        endItem()
        if random.percent(firstCase ? 45 : 20) {
            item(.phone, &state)
            identity.writePhone(to: &out)
            endItem()
        }
        if random.percent(firstCase ? 30 : 10) {
            item(.email, &state)
            identity.writeEmail(to: &out)
            endItem()
        }
        item(.claimAmount, &state)
        out.money(cents: claimCents())
        endItem()
        item(.claimBasis, &state)
        writeClaimBasis(client)
        endItem()
        endIngestion(
            basis: "legitimate_interests",
            purpose: client.purchased ? "debt_purchase" : "collection_of_overdue_claims", reference: "INV")
        state.step = .caseNumber
    }

    /// The company's own case number for the case.
    mutating func writeCaseNumber(_ state: inout PersonState, _ identity: PersonIdentity, _ person: Int) {
        beginIngestion(state, person: person, source: Parties.controller, withCase: true)
        item(.caseNumber, &state)
        out.raw("LC-")
        out.digits(CivilCalendar.date(days: Int(clock / 86_400)).year, width: 4)
        out.byte(UInt8(ascii: "-"))
        out.digits(Int(state.caseNumber), width: 7)
        endItem()
        endIngestion(basis: "contract", purpose: "invoicing_and_ledger_services", reference: nil)
        state.step = .populationRegister
    }

    /// The population register confirms the person's name and current address, and supplies the
    /// identity code when the client did not have it.
    mutating func writePopulationRegister(_ state: inout PersonState, _ identity: PersonIdentity, _ person: Int) {
        writeRegisterCheck(&state, identity, person, withCase: true)
        state.step = .underway
    }

    private mutating func writeRegisterCheck(
        _ state: inout PersonState, _ identity: PersonIdentity, _ person: Int, withCase: Bool
    ) {
        if random.percent(20) { state.addressVersion &+= 1 }  // the person has moved
        let missingCode = !state.has(.personalIdentityCode)
        beginIngestion(
            state, person: person, source: identity.swedish ? Parties.skatteverket : Parties.dvv, withCase: withCase)
        item(.name, &state)
        identity.writeName(to: &out)
        endItem()
        if missingCode {
            item(.personalIdentityCode, &state)
            identity.writeIdentityCode(to: &out)
            endItem()
        }
        item(.address, &state)
        identity.writeAddress(version: Int(state.addressVersion), to: &out)
        endItem()
        if random.percent(40) {
            item(.birthDate, &state)
            identity.writeBirthDate(to: &out)
            endItem()
        }
        endIngestion(
            basis: "legitimate_interests", purpose: "identification_and_contact",
            reference: identity.swedish ? "SPAR" : "VTJ")
    }

    // MARK: Activities

    mutating func write(_ activity: Activity, _ state: inout PersonState, _ identity: PersonIdentity, _ person: Int) {
        if let disclosure = activity.disclosure, let fields = disclosure.fields(ingested: state.ingested) {
            writeDisclosure(activity, fields: fields, state, identity, person)
            return
        }
        let inCase = activity.needsOpenCase || (state.caseOpen && random.percent(70))
        switch activity {
        case .payment:
            beginIngestion(state, person: person, source: Parties.controller, withCase: true)
            item(.payment, &state)
            out.money(cents: random.percent(70) ? random.within(10...300) * 100 : random.within(1_000...60_000))
            endItem()
            if random.percent(40) {
                item(.claimAmount, &state)
                out.money(cents: claimCents())
                endItem()
            }
            endIngestion(basis: "legitimate_interests", purpose: "payment_processing", reference: "PAY")
        case .claimUpdate:
            let client = Parties.clients[Int(state.client)]
            beginIngestion(state, person: person, source: client.party, withCase: true)
            item(.claimAmount, &state)
            out.money(cents: claimCents())
            endItem()
            item(.claimBasis, &state)
            writeClaimBasis(client)
            endItem()
            endIngestion(
                basis: "legitimate_interests",
                purpose: client.purchased ? "debt_purchase" : "collection_of_overdue_claims", reference: "INV")
        case .interestAndFees:
            beginIngestion(state, person: person, source: Parties.controller, withCase: true)
            item(.claimAmount, &state)
            out.money(cents: claimCents())
            endItem()
            if random.percent(50) {
                item(.debt, &state)
                out.money(cents: claimCents() * 3)
                endItem()
            }
            endIngestion(basis: "legitimate_interests", purpose: "invoicing_and_ledger_services", reference: nil)
        case .populationRegister:
            writeRegisterCheck(&state, identity, person, withCase: inCase)
        case .contactService:
            beginIngestion(state, person: person, source: Parties.fonecta, withCase: inCase)
            item(.phone, &state)
            identity.writePhone(to: &out)
            endItem()
            if random.percent(30) {
                item(.address, &state)
                identity.writeAddress(version: Int(state.addressVersion), to: &out)
                endItem()
            }
            endIngestion(basis: "legitimate_interests", purpose: "identification_and_contact", reference: "NUM")
        case .creditBureau:
            beginIngestion(
                state, person: person, source: identity.swedish ? Parties.uc : Parties.asiakastieto, withCase: inCase)
            item(.creditRating, &state)
            out.text(random.element(of: CaseTexts.creditRatings))
            endItem()
            if random.percent(60) {
                item(.paymentDefault, &state)
                out.text(random.element(of: CaseTexts.paymentDefaults))
                writeDateSuffix(daysAgo: random.within(30...1_500))
                endItem()
            }
            if random.percent(40) {
                item(.creditHistory, &state)
                out.text(random.element(of: CaseTexts.creditHistories))
                endItem()
            }
            if random.percent(30) {
                item(.debt, &state)
                out.money(cents: claimCents() * 5)
                endItem()
            }
            endIngestion(basis: "legitimate_interests", purpose: "collection_of_overdue_claims", reference: "CR")
        case .taxData:
            beginIngestion(state, person: person, source: Parties.vero, withCase: inCase)
            item(.income, &state)
            out.money(cents: random.within(9_000...95_000) * 100)
            endItem()
            endIngestion(basis: "legal_obligation", purpose: "collection_of_overdue_claims", reference: "TAX")
        case .vehicleRegister:
            beginIngestion(state, person: person, source: Parties.traficom, withCase: inCase)
            item(.vehicleOwnerHolder, &state)
            writeVehicle()
            endItem()
            endIngestion(basis: "legitimate_interests", purpose: "collection_of_overdue_claims", reference: "TRAFI")
        case .legalRegister:
            beginIngestion(state, person: person, source: Parties.legalRegister, withCase: inCase)
            item(.publicCreditInformation, &state)
            out.text(random.element(of: CaseTexts.publicCreditInformation))
            endItem()
            endIngestion(basis: "legitimate_interests", purpose: "collection_of_overdue_claims", reference: "ORK")
        case .tradeRegister:
            beginIngestion(state, person: person, source: Parties.prh, withCase: inCase)
            item(.authorityDecision, &state)
            out.text(random.element(of: CaseTexts.tradeRegister))
            endItem()
            endIngestion(basis: "legitimate_interests", purpose: "collection_of_overdue_claims", reference: "PRH")
        case .personContact:
            // The person calls or writes in: new contact details, often with a bank account for a
            // payment plan.
            let bank = random.percent(40)
            beginIngestion(state, person: person, source: Parties.person, withCase: inCase)
            item(.phone, &state)
            identity.writePhone(to: &out)
            endItem()
            if random.percent(50) {
                item(.email, &state)
                identity.writeEmail(to: &out)
                endItem()
            }
            if bank {
                item(.bankAccount, &state)
                identity.writeBankAccount(to: &out)
                endItem()
            }
            endIngestion(
                basis: "contract", purpose: bank ? "payment_processing" : "identification_and_contact", reference: nil)
        case .latePaymentReason:
            beginIngestion(state, person: person, source: Parties.person, withCase: inCase)
            item(.latePaymentReason, &state)
            out.text(random.element(of: CaseTexts.latePaymentReasons))
            endItem()
            endIngestion(basis: "legitimate_interests", purpose: "collection_of_overdue_claims", reference: nil)
        case .socialForceMajeure:
            // Only the person or their representative may give it, and only flagged as such.
            let source = identity.hasRepresentative && random.percent(50) ? Parties.guardian : Parties.person
            beginIngestion(state, person: person, source: source, withCase: inCase)
            item(.socialForceMajeure, &state)
            out.text(random.element(of: CaseTexts.socialForceMajeure))
            endItem(flagged: true)
            if random.percent(50) {
                item(.latePaymentReason, &state)
                out.text(random.element(of: CaseTexts.latePaymentReasons))
                endItem()
            }
            endIngestion(basis: "consent", purpose: "collection_of_overdue_claims", reference: nil)
        case .callRecording:
            beginIngestion(state, person: person, source: Parties.controller, withCase: inCase)
            item(.callRecording, &state)
            out.raw(random.percent(70) ? "Outbound call, " : "Inbound call, ")
            out.digits(random.within(1...24))
            out.raw(" min ")
            out.digits(random.below(60))
            out.raw(" s, recording REC-")
            out.digits(emitted, width: 8)
            endItem()
            if random.percent(25) {
                item(.latePaymentReason, &state)
                out.text(random.element(of: CaseTexts.latePaymentReasons))
                endItem()
            }
            endIngestion(basis: "legitimate_interests", purpose: "call_recording", reference: nil)
        case .representativeContact:
            beginIngestion(state, person: person, source: Parties.guardian, withCase: inCase)
            item(.thirdPartyContact, &state)
            out.text(random.element(of: CaseTexts.relations))
            out.byte(UInt8(ascii: " "))
            identity.writeRelativeName(to: &out, pick: person)
            endItem()
            endIngestion(basis: "legitimate_interests", purpose: "identification_and_contact", reference: nil)
        case .courtDecision:
            // Swedish claims go to Kronofogden's summary proceedings rather than to a court.
            beginIngestion(
                state, person: person, source: identity.swedish ? Parties.kronofogden : Parties.court,
                withCase: inCase)
            item(.authorityDecision, &state)
            out.text(random.element(of: CaseTexts.courtDecisions))
            writeDateSuffix(daysAgo: random.within(1...60))
            endItem()
            endIngestion(basis: "legal_obligation", purpose: "collection_of_overdue_claims", reference: "COURT")
        case .enforcementFindings:
            beginIngestion(
                state, person: person, source: identity.swedish ? Parties.kronofogden : Parties.ulosotto,
                withCase: inCase)
            item(.assets, &state)
            out.text(random.element(of: CaseTexts.enforcementFindings))
            endItem()
            if random.percent(40) {
                item(.income, &state)
                out.money(cents: random.within(9_000...95_000) * 100)
                endItem()
            }
            endIngestion(basis: "legal_obligation", purpose: "collection_of_overdue_claims", reference: "ENF")
        case .policeReport:
            beginIngestion(state, person: person, source: Parties.police, withCase: inCase)
            item(.authorityDecision, &state)
            out.text(random.element(of: CaseTexts.policeReports))
            endItem()
            endIngestion(basis: "legal_obligation", purpose: "collection_of_overdue_claims", reference: "POL")
        case .supervisoryComplaint:
            beginIngestion(
                state, person: person, source: identity.swedish ? Parties.imy : Parties.ombudsman, withCase: inCase)
            item(.name, &state)
            identity.writeName(to: &out)
            endItem()
            item(.authorityDecision, &state)
            out.text(random.element(of: CaseTexts.complaints))
            endItem()
            endIngestion(basis: "legal_obligation", purpose: "statutory_duties", reference: "DPA")
        case .insurerPayment:
            beginIngestion(state, person: person, source: Parties.insurer, withCase: true)
            item(.payment, &state)
            out.money(cents: claimCents() / 2)
            endItem()
            endIngestion(basis: "contract", purpose: "payment_processing", reference: "INS")
        case .agentReport:
            let us = random.percent(25)
            beginIngestion(state, person: person, source: us ? Parties.agentUS : Parties.agentSE, withCase: inCase)
            item(.phone, &state)
            identity.writePhone(to: &out)
            endItem()
            if random.percent(50) {
                state.addressVersion &+= 1
                item(.address, &state)
                identity.writeAddress(version: Int(state.addressVersion), to: &out)
                endItem()
            }
            if random.percent(40) {
                item(.payment, &state)
                out.money(cents: random.within(20...500) * 100)
                endItem()
            }
            endIngestion(basis: "legitimate_interests", purpose: "collection_of_overdue_claims", reference: "AGT")
        case .forwardingAddress:
            // A letter came back with the delivery company's forwarding address.
            state.addressVersion &+= 1
            beginIngestion(
                state, person: person, source: identity.swedish ? Parties.postnord : Parties.posti, withCase: inCase)
            item(.address, &state)
            identity.writeAddress(version: Int(state.addressVersion), to: &out)
            endItem()
            endIngestion(basis: "legitimate_interests", purpose: "identification_and_contact", reference: "FWD")
        case .scannedLetter:
            // The mail processor scans a letter the person sent.
            beginIngestion(state, person: person, source: Parties.printAndMail, withCase: inCase)
            item(.latePaymentReason, &state)
            out.raw("Letter from the person: ")
            out.text(random.element(of: CaseTexts.latePaymentReasons))
            endItem()
            endIngestion(basis: "legitimate_interests", purpose: "collection_of_overdue_claims", reference: "SCAN")
        case .groupContact:
            beginIngestion(state, person: person, source: Parties.groupIT, withCase: inCase)
            item(.email, &state)
            identity.writeEmail(to: &out)
            endItem()
            endIngestion(basis: "legitimate_interests", purpose: "identification_and_contact", reference: nil)
        case .closeCase:
            state.caseOpen = false
            begin("case.closed", person: person)
            writeCaseMember(state)
            if random.percent(90) {
                out.raw(",\"reason\":\"")
                out.raw(random.element(of: CaseTexts.closeReasons))
                out.quote()
            }
            out.endEvent()
        case .openCase:
            writeCaseOpened(&state, identity, person)
        case .letter, .printAndMail, .clientReport, .creditBureauReport, .contactCheck, .courtFiling,
            .enforcementRequest, .foreignAgent, .insurerReport, .cloudStorage, .messaging, .groupServices,
            .copyToPerson, .representativeLetter, .taxAuthorityReport, .policeDisclosure, .supervisoryReply,
            .registerQuery:
            preconditionFailure("a disclosure was drawn that the person cannot receive")
        }
    }

    // MARK: Disclosures

    private mutating func writeDisclosure(
        _ activity: Activity, fields: UInt32, _ state: PersonState, _ identity: PersonIdentity, _ person: Int
    ) {
        let client = Parties.clients[Int(state.client)]
        let recipient: Party
        var channel: StaticString = "api"
        var basis: StaticString = "legitimate_interests"
        var purpose: StaticString = "collection_of_overdue_claims"
        var safeguard: (type: StaticString, reference: StaticString)?
        switch activity {
        case .letter:
            recipient = identity.swedish ? Parties.postnord : Parties.posti
            channel = "letter"
        case .printAndMail:
            recipient = Parties.printAndMail
            channel = "file_transfer"
        case .clientReport:
            recipient = client.party
            channel = "portal"
            purpose = "customer_reporting_and_service_quality"
        case .creditBureauReport:
            recipient = identity.swedish ? Parties.uc : Parties.asiakastieto
            purpose = "reporting_to_authorities_and_credit_institutions"
        case .contactCheck:
            recipient = random.percent(50) ? Parties.fonecta : (identity.swedish ? Parties.skatteverket : Parties.dvv)
            purpose = "identification_and_contact"
        case .courtFiling:
            recipient = identity.swedish ? Parties.kronofogden : Parties.court
            channel = identity.swedish ? "api" : "court_filing"
        case .enforcementRequest:
            recipient = identity.swedish ? Parties.kronofogden : Parties.ulosotto
            basis = "legal_obligation"
        case .foreignAgent:
            // The sister office is inside the EEA; the US agent needs a safeguard, for collection usually
            // the standard contractual clauses, for a court case the legal-claims derogation.
            if random.percent(60) {
                recipient = Parties.agentSE
            } else {
                recipient = Parties.agentUS
                safeguard =
                    random.percent(75)
                    ? ("standard_contractual_clauses", "SCC-2021-914-AGENT-US")
                    : ("article_49_derogation", "ART49-1E-LEGAL-CLAIMS")
            }
        case .insurerReport:
            recipient = Parties.insurer
            channel = "email"
        case .cloudStorage:
            recipient = Parties.cloudStorageUS
            channel = "file_transfer"
            safeguard = ("standard_contractual_clauses", "SCC-2021-914-STORAGE")
        case .messaging:
            // Certified under the Data Privacy Framework: covered by adequacy from its first day, before
            // that by standard contractual clauses.
            recipient = Parties.messagingUS
            purpose = "identification_and_contact"
            if Int(clock / 86_400) < dataPrivacyFrameworkDay {
                safeguard = ("standard_contractual_clauses", "SCC-2021-914-MESSAGING")
            }
        case .groupServices:
            recipient = Parties.groupIT
        case .copyToPerson:
            recipient = Parties.person
            channel = "letter"
            basis = "legal_obligation"
            purpose = "statutory_duties"
        case .representativeLetter:
            recipient = Parties.guardian
            channel = "letter"
        case .taxAuthorityReport:
            recipient = Parties.vero
            basis = "legal_obligation"
            purpose = "statutory_duties"
        case .policeDisclosure:
            recipient = Parties.police
            channel = "email"
            basis = "legal_obligation"
            purpose = "statutory_duties"
        case .supervisoryReply:
            recipient = identity.swedish ? Parties.imy : Parties.ombudsman
            channel = "email"
            basis = "legal_obligation"
            purpose = "statutory_duties"
        case .registerQuery:
            // Asking a register about someone tells it whom the company is asking about.
            switch random.below(3) {
            case 0: recipient = identity.ownsVehicle ? Parties.traficom : Parties.legalRegister
            case 1: recipient = Parties.legalRegister
            default: recipient = Parties.prh
            }
        default:
            preconditionFailure("not a disclosure")
        }
        begin("data.disclosed", person: person)
        if activity.needsOpenCase || (state.caseOpen && random.percent(70)) {
            writeCaseMember(state)
            out.comma()
        }
        out.member("recipient", recipient.id)
        out.raw(",\"fields\":[")
        var first = true
        for field in Field.allCases where fields & field.bit != 0 {
            if !first { out.comma() }
            first = false
            out.quote()
            out.raw(field.id)
            out.quote()
        }
        out.raw("],")
        out.member("legalBasis", basis)
        out.comma()
        out.member("purpose", purpose)
        out.comma()
        out.member("channel", channel)
        if let safeguard {
            out.raw(",\"safeguard\":{\"type\":\"")
            out.raw(safeguard.type)
            out.raw("\",\"reference\":\"")
            out.raw(safeguard.reference)
            out.raw("\"}")
        }
        out.endEvent()
    }

    // MARK: Pieces

    private mutating func writeCaseMember(_ state: PersonState) {
        out.raw("\"case\":\"case-")
        out.digits(Int(state.caseNumber))
        out.quote()
    }

    private mutating func beginIngestion(_ state: PersonState, person: Int, source: Party, withCase: Bool) {
        begin("data.ingested", person: person)
        if withCase {
            writeCaseMember(state)
            out.comma()
        }
        out.member("source", source.id)
        out.raw(",\"items\":[")
        itemsInEvent = 0
    }

    /// Opens an item's value string and records the field as ingested; the caller writes the value's
    /// text and ``endItem(flagged:)``.
    private mutating func item(_ field: Field, _ state: inout PersonState) {
        if itemsInEvent > 0 { out.comma() }
        itemsInEvent += 1
        out.raw("{\"field\":\"")
        out.raw(field.id)
        out.raw("\",\"value\":\"")
        state.ingested |= field.bit
    }

    private mutating func endItem(flagged: Bool = false) {
        out.raw(flagged ? "\",\"socialForceMajeure\":true}" : "\"}")
    }

    /// Closes the items and writes the rest of the payload; a `reference` prefix gives the source's own
    /// reference, numbered by the event's position (digits never shaped like an identity code).
    private mutating func endIngestion(basis: StaticString, purpose: StaticString, reference: StaticString?) {
        out.raw("],")
        out.member("legalBasis", basis)
        out.comma()
        out.member("purpose", purpose)
        if let reference {
            out.raw(",\"sourceReference\":\"")
            out.raw(reference)
            out.byte(UInt8(ascii: "-"))
            out.digits(emitted, width: 8)
            out.quote()
        }
        out.endEvent()
    }

    /// A claim in cents: most are small consumer invoices, a few are thousands of euros.
    private mutating func claimCents() -> Int {
        let euros = random.percent(80) ? random.within(15...600) : random.within(600...12_000)
        return euros * 100 + random.below(100)
    }

    /// `Unpaid rent, invoice 12345678 due 2025-11-30`.
    private mutating func writeClaimBasis(_ client: Client) {
        out.text(random.element(of: client.claimBases))
        out.raw(", invoice ")
        out.digits(random.within(10_000_000...99_999_999))
        out.raw(" due ")
        out.date(days: Int(clock / 86_400) - random.within(30...200))
    }

    /// `, 2025-11-30`: a date some days before the event's.
    private mutating func writeDateSuffix(daysAgo: Int) {
        out.raw(", ")
        out.date(days: Int(clock / 86_400) - daysAgo)
    }

    /// `Owner and holder of a Skoda Octavia 2016, registration KJL-482`.
    private mutating func writeVehicle() {
        out.raw(random.percent(80) ? "Owner and holder of a " : "Holder of a leased ")
        out.text(random.element(of: CaseTexts.vehicles))
        out.byte(UInt8(ascii: " "))
        out.digits(startYear - random.within(0...18))
        out.raw(", registration ")
        for _ in 0..<3 { out.byte(UInt8(ascii: "A") + UInt8(random.below(26))) }
        out.byte(UInt8(ascii: "-"))
        out.digits(random.within(1...999))
    }
}
