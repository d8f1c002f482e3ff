#!/usr/bin/env python3
"""Generates the JSON Schemas (draft 2020-12) of every event type and of the query outputs from
schemas/vocabulary/, so the schemas and the vocabulary cannot drift apart.
Run from the repository root: tools/schemas/generate.py (writes schemas/events/ and schemas/outputs/)."""
import json
import os

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://lineage.invalid/schemas/"


def load(name):
    with open(f"schemas/vocabulary/{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


fields = load("fields")
parties = load("parties")
purposes = load("purposes")
transfers = load("transfers")

IDENTIFIER = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[^\\s\\x00-\\x1f\\x7f]+$"}
FINNISH = "[0-3][0-9][01][0-9][0-9]{2}[-+A-FU-Y][0-9]{3}[0-9A-FHJ-NPR-Y]"
SWEDISH = "([0-9]{2})?[0-9]{6}[-+]?[0-9]{4}"
VALUE_TYPES = {
    "string": {"type": "string", "minLength": 1, "maxLength": 1000},
    "text": {"type": "string", "minLength": 1, "maxLength": 10000},
    "date": {"type": "string", "format": "date"},
    "money": {"type": "string", "pattern": "^-?[0-9]{1,18}(\\.[0-9]{1,2})?$"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "email": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", "maxLength": 254},
    "phone": {"type": "string", "pattern": "^\\+[0-9 ]{7,20}$"},
    "iban": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{2}[A-Z0-9 ]{11,34}$"},
    "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
    "personal_identity_code": {"type": "string", "pattern": f"^({FINNISH}|{SWEDISH})$"},
}
LEGAL_BASES = [basis["id"] for basis in purposes["legalBases"]]
PURPOSES = [purpose["id"] for purpose in purposes["purposes"]]
FIELD_IDS = [field["id"] for field in fields["fields"]]
CHANNELS = ["letter", "email", "api", "file_transfer", "portal", "phone", "court_filing"]


def envelope(event_type, payload, subject):
    properties = {
        "id": {"type": "string", "format": "uuid"},
        "type": {"const": event_type},
        "occurredAt": {"type": "string", "format": "date-time"},
        "schemaVersion": {"const": 1},
        "payload": payload,
    }
    required = ["id", "type", "occurredAt", "schemaVersion", "payload"]
    if subject:
        properties["subject"] = {"type": "string", "minLength": 1, "maxLength": 64}
        required.append("subject")
    return {"$schema": DRAFT, "$id": f"{BASE}events/{event_type}.json", "title": f"{event_type} event",
            "type": "object", "properties": properties, "required": required, "additionalProperties": False}


def payload(properties, required):
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def item_schema():
    rules = []
    for field in fields["fields"]:
        if field["special"] and field["id"] != "social_force_majeure":
            rules.append({"if": {"properties": {"field": {"const": field["id"]}}}, "then": False})
            continue
        then = {"properties": {"value": VALUE_TYPES[field["type"]]}}
        if field["id"] == "social_force_majeure":
            then["properties"]["socialForceMajeure"] = {"const": True}
            then["required"] = ["socialForceMajeure"]
        rules.append({"if": {"properties": {"field": {"const": field["id"]}}}, "then": then})
    return {"type": "object",
            "properties": {"field": {"enum": FIELD_IDS}, "value": True, "socialForceMajeure": {"type": "boolean"}},
            "required": ["field", "value"], "additionalProperties": False, "allOf": rules}


def events():
    basis = {"legalBasis": {"enum": LEGAL_BASES}, "purpose": {"enum": PURPOSES}}
    yield "party.registered", envelope("party.registered", payload({
        "party": IDENTIFIER, "kind": {"enum": [kind["id"] for kind in parties["kinds"]]},
        "name": {"type": "string", "minLength": 1, "maxLength": 1000}, "country": VALUE_TYPES["country"],
        "certifications": {"type": "array", "items": IDENTIFIER}}, ["party", "kind", "name", "country"]), False)
    yield "case.opened", envelope("case.opened", payload({"case": IDENTIFIER, "client": IDENTIFIER}, ["case", "client"]), True)
    yield "case.closed", envelope("case.closed", payload(
        {"case": IDENTIFIER, "reason": {"type": "string", "minLength": 1, "maxLength": 1000}}, ["case"]), True)
    yield "data.ingested", envelope("data.ingested", payload(dict({
        "case": IDENTIFIER, "source": IDENTIFIER, "sourceReference": IDENTIFIER,
        "items": {"type": "array", "minItems": 1, "maxItems": 100, "items": item_schema()}}, **basis),
        ["source", "items", "legalBasis", "purpose"]), True)
    yield "data.disclosed", envelope("data.disclosed", payload(dict({
        "case": IDENTIFIER, "recipient": IDENTIFIER,
        "fields": {"type": "array", "minItems": 1, "maxItems": 100, "uniqueItems": True, "items": {"enum": FIELD_IDS}},
        "channel": {"enum": CHANNELS},
        "safeguard": {"type": "object", "properties": {
            "type": {"enum": [safeguard["id"] for safeguard in transfers["safeguards"]]}, "reference": IDENTIFIER},
            "required": ["type", "reference"], "additionalProperties": False}}, **basis),
        ["recipient", "fields", "legalBasis", "purpose", "channel"]), True)


def nullable(schema):
    return {"anyOf": [schema, {"type": "null"}]}


ANY_VALUE = {"type": ["string", "number", "boolean", "null"]}
TIME = {"type": "string", "format": "date-time"}
SEQ = {"type": "integer", "minimum": 0}


def outputs():
    version = {"type": "object", "additionalProperties": False, "properties": {
        "value": ANY_VALUE, "current": {"type": "boolean"}, "case": nullable(IDENTIFIER), "source": IDENTIFIER,
        "sourceKind": nullable({"enum": [kind["id"] for kind in parties["kinds"]]}),
        "legalBasis": {"enum": LEGAL_BASES}, "purpose": {"enum": PURPOSES}, "sourceReference": nullable(IDENTIFIER),
        "occurredAt": TIME, "recordedAt": TIME, "seq": SEQ, "eventId": {"type": "string", "format": "uuid"}},
        "required": ["value", "current", "case", "source", "sourceKind", "legalBasis", "purpose", "sourceReference",
                     "occurredAt", "recordedAt", "seq", "eventId"]}
    yield "provenance", {"$schema": DRAFT, "$id": f"{BASE}outputs/provenance.json", "title": "lineage provenance",
                         "type": "object", "additionalProperties": False, "required": ["subject", "fields"],
                         "properties": {"subject": {"type": "string"}, "fields": {"type": "array", "items": {
                             "type": "object", "additionalProperties": False, "required": ["field", "category", "versions"],
                             "properties": {"field": {"enum": FIELD_IDS},
                                            "category": {"enum": [c["id"] for c in fields["categories"]]},
                                            "versions": {"type": "array", "minItems": 1, "items": version}}}}}}
    disclosure = {"type": "object", "additionalProperties": False, "properties": {
        "seq": SEQ, "eventId": {"type": "string", "format": "uuid"}, "recipient": IDENTIFIER,
        "recipientKind": nullable({"enum": [kind["id"] for kind in parties["kinds"]]}),
        "recipientCountry": nullable(VALUE_TYPES["country"]), "occurredAt": TIME, "recordedAt": TIME,
        "legalBasis": {"enum": LEGAL_BASES}, "purpose": {"enum": PURPOSES}, "channel": {"enum": CHANNELS},
        "case": nullable(IDENTIFIER),
        "safeguard": nullable({"type": "object", "additionalProperties": False, "required": ["type", "reference"],
                               "properties": {"type": {"enum": [s["id"] for s in transfers["safeguards"]]},
                                              "reference": IDENTIFIER}}),
        "fields": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                              "required": ["field", "versionSeq", "value"],
                                              "properties": {"field": {"enum": FIELD_IDS}, "versionSeq": SEQ,
                                                             "value": ANY_VALUE}}}},
        "required": ["seq", "eventId", "recipient", "recipientKind", "recipientCountry", "occurredAt", "recordedAt",
                     "legalBasis", "purpose", "channel", "case", "safeguard", "fields"]}
    yield "recipients", {"$schema": DRAFT, "$id": f"{BASE}outputs/recipients.json", "title": "lineage recipients",
                         "type": "object", "additionalProperties": False, "required": ["subject", "disclosures"],
                         "properties": {"subject": {"type": "string"},
                                        "disclosures": {"type": "array", "items": disclosure}}}


def write(path, schema):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")


for name, schema in events():
    write(f"schemas/events/{name}.json", schema)
for name, schema in outputs():
    write(f"schemas/outputs/{name}.json", schema)
