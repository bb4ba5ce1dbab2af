"""Kill rate of mutation testing per domain file (README "Mutation testing"; issue 17 item 8).

Reads the results mutmut 3 keeps next to each mutated file (``mutants/domain/*.py.meta``: the
exit code of the unit tests per mutant) and prints, per file: mutants in all, killed (a test
failed or timed out), survived, no tests (no unit test reaches the mutated code: counted as
survived), excluded (equivalent or message-only mutants listed in
``tests/mutation_exclusions.txt``, one line of reason each), not run, and the kill rate
killed / (all − excluded). Exits non-zero when a file scores under 85 % or has mutants not run.

    python -m tests.mutation_score                      # every domain file
    python -m tests.mutation_score domain/reporter.py   # only these
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REQUIRED = 85.0
ROOT = Path(__file__).resolve().parent.parent
EXCLUSIONS = Path(__file__).resolve().parent / "mutation_exclusions.txt"

# mutmut.stats.status_by_exit_code, folded into the columns of the table.
KILLED = {1, 3, 36, 37, -24, 24, 152, 255, -11, -9}  # test failure, timeout, type error, crash
NO_TESTS = {5, 33}
NOT_RUN = {None, 2, 34}  # never checked, interrupted, skipped
# Anything else (0 survived, 35 suspicious) counts as survived.


def read_exclusions(path: Path) -> dict[str, str]:
    """``mutant name: reason`` per line; blank lines and ``#`` comments ignored."""
    exclusions = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(": ")
        if not reason.strip():
            raise SystemExit(f"{path}:{number}: give the reason after 'mutant name: '")
        exclusions[name.strip()] = reason.strip()
    return exclusions


def tally(exit_codes: dict[str, int | None], excluded: set[str]) -> Counter:
    counts: Counter = Counter(total=len(exit_codes))
    for name, code in exit_codes.items():
        if name in excluded:
            counts["excluded"] += 1
        elif code in NOT_RUN:
            counts["not run"] += 1
        elif code in KILLED:
            counts["killed"] += 1
        elif code in NO_TESTS:
            counts["no tests"] += 1
        else:
            counts["survived"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="domain files (default: every one mutated)")
    parser.add_argument("--mutants", type=Path, default=ROOT / "mutants")
    args = parser.parse_args(argv)
    exclusions = read_exclusions(EXCLUSIONS) if EXCLUSIONS.exists() else {}
    metas = sorted((args.mutants / "domain").glob("*.py.meta"))
    if args.files:
        wanted = {Path(f).name for f in args.files}
        metas = [m for m in metas if m.name.removesuffix(".meta") in wanted]
    if not metas:
        print(f"no mutmut results under {args.mutants}: run mutmut first", file=sys.stderr)
        return 2
    columns = ("total", "killed", "survived", "no tests", "excluded", "not run")
    print(f"{'file':<22}" + "".join(f"{c:>10}" for c in columns) + f"{'killed %':>10}")
    failing, seen = [], set()
    for meta in metas:
        exit_codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        if not exit_codes:
            continue
        seen |= exit_codes.keys()
        counts = tally(exit_codes, exclusions.keys())
        scored = counts["total"] - counts["excluded"]
        rate = 100.0 * counts["killed"] / scored if scored else 100.0
        name = f"domain/{meta.name.removesuffix('.meta')}"
        shown = "—" if counts["not run"] else f"{rate:.1f}"
        print(f"{name:<22}" + "".join(f"{counts[c]:>10}" for c in columns) + f"{shown:>10}")
        if counts["not run"] or rate < REQUIRED:
            failing.append(name)
    stale = sorted(n for n in exclusions if n not in seen and
                   any(n.startswith(m.name.removesuffix(".py.meta")) for m in metas))
    for name in stale:
        print(f"warning: excluded mutant {name} no longer exists: update {EXCLUSIONS.name}",
              file=sys.stderr)
    if failing:
        print(f"under {REQUIRED:.0f} % killed, or not fully run: {', '.join(failing)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
