#!/usr/bin/env python3
"""Independent checks of lineage's JSON against schemas/ with Python's jsonschema (draft 2020-12,
format checking on). Run it with the venv from tools/schema-venv.

  schema-check.py events FILE.ndjson        every event valid against the schema of its type
  schema-check.py invalid FILE.ndjson       every {"breaks": KEYWORD, "why": ..., "event": {...}} rejected,
                                            by that keyword
  schema-check.py output NAME FILE.json...  provenance or recipients outputs valid
Exit 0 when everything holds, 1 otherwise, with one line per problem.
"""
import json
import os
import sys

from jsonschema import Draft202012Validator

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schemas")


def validator(kind, name):
    with open(os.path.join(ROOT, kind, f"{name}.json"), encoding="utf-8") as handle:
        schema = json.load(handle)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def keywords(error):
    """The keywords of an error and of every error under it."""
    # A `false` schema has no keyword: jsonschema reports it as None.
    found = {error.validator if error.validator is not None else "false"}
    for child in error.context or []:
        found |= keywords(child)
    return found


def main(argv):
    problems = []
    checked = 0
    if len(argv) == 3 and argv[1] == "events":
        with open(argv[2], encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                event = json.loads(line)
                for error in validator("events", event.get("type", "?")).iter_errors(event):
                    problems.append(f"line {number}: {error.json_path}: {error.message[:200]}")
                checked += 1
    elif len(argv) == 3 and argv[1] == "invalid":
        with open(argv[2], encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                case = json.loads(line)
                event = case["event"]
                errors = list(validator("events", event["type"]).iter_errors(event))
                found = set().union(*(keywords(error) for error in errors)) if errors else set()
                if not errors:
                    problems.append(f"line {number}: accepted, but it breaks {case['breaks']}: {case['why']}")
                elif case["breaks"] not in found:
                    problems.append(f"line {number}: rejected by {sorted(found)}, not by {case['breaks']}: {case['why']}")
                checked += 1
    elif len(argv) >= 4 and argv[1] == "output":
        check = validator("outputs", argv[2])
        for path in argv[3:]:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
            for error in check.iter_errors(document):
                problems.append(f"{path}: {error.json_path}: {error.message[:200]}")
            checked += 1
    else:
        print(__doc__, file=sys.stderr)
        return 64
    for problem in problems:
        print(problem)
    print(f"schema-check {argv[1]}: {checked} checked, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
