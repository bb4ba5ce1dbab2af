#!/usr/bin/env python3
"""Verify iHanoi's audit exports offline (Điều 22), with the standard library only.

    python3 verify_audit_export.py --chain chain.csv --head 4711:3f0c…  [--audit audit.csv]

--chain: the whole hash chain (`ihanoi audit export-chain`); every row's hash must be
  SHA-256(previous_hash + event_digest), every previous_hash the hash of the row before
  (64 zeros for the first), and each --head NOTIFICATION_ID:HASH (printed by `ihanoi audit
  seals` and kept by the inspector) must be the chain's hash at that event.
--audit: the audit trail (`/audit.csv`); each row's event_hash is checked the same way and,
  with --chain, must be the chain's own hash of that event.
Exit status 0 when everything matches; 1 naming the first event that does not.
"""
import argparse
import csv
import hashlib
import sys


def link(previous: str, digest: str) -> str:
    return hashlib.sha256((previous + digest).encode()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chain")
    parser.add_argument("--audit")
    parser.add_argument("--head", action="append", default=[], help="NOTIFICATION_ID:HASH")
    args = parser.parse_args()
    heads = {int(n.lstrip("#")): h.lower() for n, _, h in (x.partition(":") for x in args.head)}
    problems, chained = [], {}
    if args.chain:
        previous = "0" * 64
        with open(args.chain, newline="") as f:
            for row in csv.DictReader(f):
                nid = int(row["notification_id"])
                if row["previous_hash"] != previous:
                    problems.append(f"#{nid}: the chain is broken before it "
                                    "(an event removed or inserted)")
                if row["hash"] != link(row["previous_hash"], row["event_digest"]):
                    problems.append(f"#{nid}: its hash does not match its digest (row changed)")
                previous = chained[nid] = row["hash"]
    audited, unchained = {}, 0
    if args.audit:
        with open(args.audit, newline="") as f:
            for row in csv.DictReader(f):
                nid = int(row["notification_id"])
                if not row["event_hash"]:  # stored after the chain's head: not verifiable yet
                    unchained += 1
                    continue
                audited[nid] = row["event_hash"]
                if row["event_hash"] != link(row["previous_hash"], row["event_digest"]):
                    problems.append(f"#{nid}: the audit row's hash does not match its digest")
                elif args.chain and chained.get(nid) != row["event_hash"]:
                    problems.append(f"#{nid}: the audit row's event is not in the chain "
                                    "as exported")
    known = chained or audited
    for nid, expected in sorted(heads.items()):
        if known.get(nid) != expected:
            problems.append(f"#{nid}: the export's hash differs from the kept head "
                            f"{expected[:16]}… (or the event is not in the export)")
    if unchained:
        print(f"note: {unchained} audit row(s) not chained yet, not verified")
    problems.sort(key=lambda p: int(p[1:p.index(":")]))  # in event order
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s); the first: {problems[0]}" if problems else "OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
