#!/usr/bin/env python3
"""Recompute a lineage ledger's Merkle tree head from its LMDB file, independently of lineage.

Uses only `mdb_dump` (Debian's lmdb-utils) and Python's hashlib, following docs/FORMAT.md:
reads every record of `log.records`, hashes it as an RFC 9162 leaf, folds the tree, and checks
the stored nodes of `log.merkle` on the way. Prints {"treeSize": N, "root": "hex"} as JSON.

    tools/audit/recompute-root.py LEDGER_DIR

Exit 0 when the records and the stored tree agree, 3 on any disagreement.
"""
import hashlib
import json
import subprocess
import sys


def dump(ledger, database):
    """Yields (key bytes, value bytes) of one named database, in key order, via mdb_dump."""
    out = subprocess.run(["mdb_dump", "-s", database, ledger], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    start = lines.index("HEADER=END") + 1
    body = [line.strip() for line in lines[start:] if line.strip() and line.strip() != "DATA=END"]
    for key, value in zip(body[0::2], body[1::2]):
        yield bytes.fromhex(key), bytes.fromhex(value)


def leaf_hash(record):
    return hashlib.sha256(b"\x00" + record).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    ledger = sys.argv[1]
    stored = {key: value for key, value in dump(ledger, "log.merkle")}
    frontier = {}  # level -> hash of the perfect subtree on the right edge
    size = 0
    problems = []
    for key, record in dump(ledger, "log.records"):
        sequence = int.from_bytes(key, "big")
        if len(key) != 8 or sequence != size:
            problems.append(f"record {size} is missing")
            break
        digest, level, index = leaf_hash(record), 0, sequence
        if stored.get(bytes([0]) + index.to_bytes(8, "big")) != digest:
            problems.append(f"record {sequence} does not match its stored leaf hash")
        while index & 1:
            digest = node_hash(frontier.pop(level), digest)
            level, index = level + 1, index >> 1
            if stored.get(bytes([level]) + index.to_bytes(8, "big")) != digest:
                problems.append(f"stored node (level {level}, index {index}) does not match the records")
        frontier[level] = digest
        size += 1
    expected_nodes = 2 * size - bin(size).count("1")
    if len(stored) != expected_nodes:
        problems.append(f"the tree stores {len(stored)} nodes where {size} records make {expected_nodes}")
    root = None
    for level in sorted(frontier):  # lowest level is rightmost
        root = frontier[level] if root is None else node_hash(frontier[level], root)
    root = root or hashlib.sha256(b"").digest()
    print(json.dumps({"treeSize": size, "root": root.hex(), "problems": problems}))
    return 3 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
