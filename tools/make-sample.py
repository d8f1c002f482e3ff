#!/usr/bin/env python3
"""Writes samples/demo-events.ndjson: a deterministic, realistic sample for the demo and the tests.

Every catalogue party registered; a few dozen people with Finnish and Swedish names, valid identity
codes, addresses, phones, e-mails; cases opened by clients; ingestions from every source kind;
disclosures to every recipient kind, within each kind's allowed categories; one address superseded
by the population register; a transfer to a US agent under standard contractual clauses; a social
force majeure the person gave, flagged. Run: tools/make-sample.py [OUT]
"""
import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

rng = random.Random(20261125)
NAMESPACE = uuid.UUID("8f0e2a44-5d1b-4c3e-9a7f-2b6c1d0e9f31")
FI_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"

FI_FIRST = ["Matti", "Maija", "Juha", "Aino", "Mikko", "Leena", "Antti", "Sanna", "Pekka", "Hanna", "Jukka", "Elina", "Ville", "Riikka"]
FI_LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen", "Koskinen", "Järvinen"]
FI_STREETS = ["Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Kauppakatu", "Rautatienkatu", "Puistokatu"]
FI_TOWNS = [("00100", "Helsinki"), ("33100", "Tampere"), ("20100", "Turku"), ("90100", "Oulu"), ("40100", "Jyväskylä")]
SE_FIRST = ["Erik", "Anna", "Lars", "Karin", "Johan", "Eva", "Anders", "Maria", "Nils", "Sofia"]
SE_LAST = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson"]
SE_STREETS = ["Drottninggatan", "Storgatan", "Kungsgatan", "Vasagatan", "Sveavägen"]
SE_TOWNS = [("111 20", "Stockholm"), ("411 05", "Göteborg"), ("211 20", "Malmö"), ("753 20", "Uppsala")]


def finnish_code(birth):
    sign = "-" if birth.year < 2000 else "A"
    individual = rng.randrange(2, 900)
    number = int(birth.strftime("%d%m%y") + f"{individual:03d}")
    return birth.strftime("%d%m%y") + sign + f"{individual:03d}" + FI_CHECK[number % 31]


def luhn_digit(digits):
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def swedish_code(birth, twelve):
    serial = f"{rng.randrange(0, 1000):03d}"
    nine = birth.strftime("%y%m%d") + serial
    code = nine + luhn_digit(nine)
    return birth.strftime("%Y") + code[2:6] + "-" + code[6:] if twelve else code[:6] + "-" + code[6:]


def iban_fi():
    bban = "".join(str(rng.randrange(10)) for _ in range(14))
    rearranged = bban + "1518" + "00"  # F=15, I=18
    check = 98 - int(rearranged) % 97
    return f"FI{check:02d}{bban}"


class Writer:
    def __init__(self):
        self.lines = []
        self.clock = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)

    def tick(self, hours=1):
        self.clock += timedelta(hours=hours, minutes=rng.randrange(60))
        return self.clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def event(self, kind, payload, subject=None, hours=1):
        event = {"id": str(uuid.uuid5(NAMESPACE, str(len(self.lines)))), "type": kind, "occurredAt": self.tick(hours),
                 "schemaVersion": 1, "payload": payload}
        if subject:
            event["subject"] = subject
        self.lines.append(json.dumps(event, ensure_ascii=False, separators=(",", ":")))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "samples/demo-events.ndjson"
    with open("schemas/vocabulary/parties.json", encoding="utf-8") as handle:
        catalogue = json.load(handle)["catalogue"]
    clients = [("aurora-energia", "Aurora Energia Oy", "FI"), ("nordlys-telecom", "Nordlys Telecom AB", "SE"),
               ("kaupunkiasunnot", "Kaupunkiasunnot Oy", "FI")]
    w = Writer()
    for party in catalogue:
        w.event("party.registered", {k: party[k] for k in ("party", "kind", "name", "country")}, hours=0)
    for party, name, country in clients:
        w.event("party.registered", {"party": party, "kind": "client", "name": name, "country": country}, hours=0)
    w.event("party.registered", {"party": "the-person", "kind": "data_subject", "name": "The person themself", "country": "FI"}, hours=0)
    w.event("party.registered", {"party": "guardian", "kind": "representative", "name": "A guardian or agent", "country": "FI"}, hours=0)

    def ingest(subject, case, source, items, basis="legitimate_interests", purpose="collection_of_overdue_claims", ref=None):
        payload = {"source": source, "items": items, "legalBasis": basis, "purpose": purpose}
        if case:
            payload["case"] = case
        if ref:
            payload["sourceReference"] = ref
        w.event("data.ingested", payload, subject)

    def disclose(subject, case, recipient, fields, channel, basis="legitimate_interests",
                 purpose="collection_of_overdue_claims", safeguard=None):
        payload = {"recipient": recipient, "fields": fields, "legalBasis": basis, "purpose": purpose, "channel": channel}
        if case:
            payload["case"] = case
        if safeguard:
            payload["safeguard"] = safeguard
        w.event("data.disclosed", payload, subject)

    for n in range(1, 31):
        subject = f"person-{n:04d}"
        swedish = n % 3 == 0
        birth = datetime(1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28))
        if swedish:
            name = f"{rng.choice(SE_FIRST)} {rng.choice(SE_LAST)}"
            code = swedish_code(birth, twelve=n % 2 == 0)
            postcode, town = rng.choice(SE_TOWNS)
            address = f"{rng.choice(SE_STREETS)} {rng.randrange(1, 90)}, {postcode} {town}"
            phone = f"+46 7{rng.randrange(10)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
            client, register, enforcement, bureau = "nordlys-telecom", "skatteverket-folkbokforing", "kronofogden", "uc"
        else:
            name = f"{rng.choice(FI_FIRST)} {rng.choice(FI_LAST)}"
            code = finnish_code(birth)
            postcode, town = rng.choice(FI_TOWNS)
            address = f"{rng.choice(FI_STREETS)} {rng.randrange(1, 90)} A {rng.randrange(1, 30)}, {postcode} {town}"
            phone = f"+358 40 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
            client = rng.choice(["aurora-energia", "kaupunkiasunnot"])
            register, enforcement, bureau = "dvv", "ulosottolaitos", "asiakastieto"
        email = name.lower().replace(" ", ".").replace("ä", "a").replace("ö", "o").replace("å", "a") + f"{n}@example.org"
        case = f"case-{n:04d}"
        amount = f"{rng.randrange(40, 4000)}.{rng.randrange(100):02d}"
        w.event("case.opened", {"case": case, "client": client}, subject)
        ingest(subject, case, client, [
            {"field": "name", "value": name}, {"field": "personal_identity_code", "value": code},
            {"field": "address", "value": address}, {"field": "claim_amount", "value": amount},
            {"field": "claim_basis", "value": rng.choice(["Unpaid electricity invoice", "Unpaid rent", "Unpaid phone bill"])},
        ], ref=f"INV-{10000 + n}")
        ingest(subject, case, "lineage-collections", [{"field": "case_number", "value": f"LC-2026-{n:05d}"}],
               basis="contract", purpose="invoicing_and_ledger_services")
        if n % 4 == 1:  # the population register gives a newer address: the client's is superseded
            new_address = address.replace(address.split(",")[0], f"{rng.choice(FI_STREETS if not swedish else SE_STREETS)} {rng.randrange(1, 90)}")
            ingest(subject, None, register, [{"field": "address", "value": new_address}],
                   basis="legal_obligation", purpose="identification_and_contact", ref=f"POP-{n:05d}")
        ingest(subject, None, "fonecta", [{"field": "phone", "value": phone}],
               purpose="identification_and_contact", ref=f"NUM-{n:05d}")
        disclose(subject, case, "posti" if not swedish else "postnord", ["name", "address"], "letter")
        disclose(subject, case, "print-and-mail", ["name", "address", "claim_amount", "case_number"], "file_transfer")
        if n % 2 == 0:
            ingest(subject, None, bureau, [{"field": "payment_default", "value": "Payment default registered 2025"}],
                   purpose="identification_and_contact", ref=f"CR-{n:05d}")
            ingest(subject, None, "vero", [{"field": "income", "value": f"{rng.randrange(15000, 80000)}.00"}],
                   basis="legal_obligation", purpose="collection_of_overdue_claims", ref=f"TAX-{n:05d}")
        if n % 5 == 0:
            ingest(subject, case, "traficom", [{"field": "vehicle_owner_holder", "value": f"Owner of a {rng.choice(['Toyota', 'Volvo', 'Skoda'])}, reg. ABC-{n:03d}"}],
                   ref=f"TRAFI-{n:05d}")
            ingest(subject, case, "oikeusrekisterikeskus", [{"field": "public_credit_information", "value": "No bankruptcy or debt adjustment on record"}],
                   ref=f"ORK-{n:05d}")
            ingest(subject, None, "prh", [{"field": "authority_decision", "value": "Not registered as a trader"}], ref=f"PRH-{n:05d}")
        if n % 6 == 0:
            ingest(subject, case, "the-person", [
                {"field": "email", "value": email}, {"field": "late_payment_reason", "value": "Lost my job in the spring"},
                {"field": "social_force_majeure", "value": "Serious illness in the family", "socialForceMajeure": True},
                {"field": "bank_account", "value": iban_fi()},
            ], basis="contract", purpose="payment_processing")
            ingest(subject, case, "guardian", [{"field": "third_party_contact", "value": "Guardian appointed by the court"}],
                   purpose="identification_and_contact")
        if n % 7 == 0:
            ingest(subject, case, "helsingin-karajaoikeus", [{"field": "authority_decision", "value": "Judgment: the claim is payable"}],
                   basis="legal_obligation", ref=f"COURT-{n:05d}")
            ingest(subject, case, "poliisi", [{"field": "authority_decision", "value": "Report of an offence filed"}],
                   basis="legal_obligation", ref=f"POL-{n:05d}")
            ingest(subject, case, enforcement, [{"field": "assets", "value": "Attachment of wages ordered"}],
                   basis="legal_obligation", ref=f"ENF-{n:05d}")
            disclose(subject, case, "helsingin-karajaoikeus", ["name", "personal_identity_code", "address", "claim_amount"], "court_filing")
            disclose(subject, case, enforcement, ["name", "personal_identity_code", "claim_amount"], "api", basis="legal_obligation")
        if n % 2 == 0:
            disclose(subject, case, bureau, ["name", "personal_identity_code", "payment_default"], "api",
                     purpose="reporting_to_authorities_and_credit_institutions")
            disclose(subject, None, "fonecta" if n % 4 else register, ["name", "address"], "api", purpose="identification_and_contact")
        disclose(subject, case, client, ["name", "address", "claim_amount", "case_number"], "portal",
                 purpose="customer_reporting_and_service_quality")
        if n % 8 == 0:
            disclose(subject, case, "credit-insurer", ["name", "claim_amount"], "email")
            disclose(subject, case, "group-it", ["name", "email"] if n % 6 == 0 else ["name"], "api")
        if n % 10 == 3:
            disclose(subject, case, "agent-us", ["name", "address", "claim_amount"], "api",
                     safeguard={"type": "standard_contractual_clauses", "reference": "SCC-2021-914-AGENT-US"})
            disclose(subject, case, "agent-se", ["name", "address", "claim_amount"], "api")
            disclose(subject, case, "cloud-storage-us", ["name", "claim_amount"], "file_transfer",
                     safeguard={"type": "standard_contractual_clauses", "reference": "SCC-2021-914-STORAGE"})
        if n == 12:
            disclose(subject, case, "tietosuojavaltuutettu", ["name", "case_number"], "email", basis="legal_obligation",
                     purpose="statutory_duties")
            disclose(subject, case, "the-person", ["name", "address", "claim_amount"], "letter", basis="legal_obligation",
                     purpose="statutory_duties")
            disclose(subject, case, "vero", ["name", "personal_identity_code"], "api", basis="legal_obligation",
                     purpose="statutory_duties")
            disclose(subject, case, "poliisi", ["name", "personal_identity_code"], "email", basis="legal_obligation",
                     purpose="statutory_duties")
        if n % 4 == 1:
            w.event("case.closed", {"case": case, "reason": rng.choice(["paid", "withdrawn"])}, subject)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(w.lines) + "\n")
    print(f"make-sample: {len(w.lines)} events to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
