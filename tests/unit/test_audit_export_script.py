"""scripts/verify_audit_export.py (Điều 22): the inspector's offline check computes the chain
exactly as the system does, and names the first event of an export that was tampered with."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

from projections.event_chain import EXPORT_COLUMNS, GENESIS, chain_hash, event_digest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_audit_export.py"


def _chain(n: int) -> list[dict[str, str]]:
    rows, previous = [], GENESIS
    for nid in range(1, n + 1):
        digest = event_digest(nid, uuid4(), 1, "domain.report:Report.Submitted", b"\x00" * nid)
        current = chain_hash(previous, digest)
        rows.append({"notification_id": str(nid), "event_digest": digest,
                     "previous_hash": previous, "hash": current})
        previous = current
    return rows


def _run(tmp_path: Path, rows: list[dict[str, str]], *heads: str
         ) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "chain.csv"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    args = [arg for head in heads for arg in ("--head", head)]
    return subprocess.run([sys.executable, str(SCRIPT), "--chain", str(path), *args],
                          capture_output=True, text=True, check=False)


def test_an_untouched_export_matches_the_kept_head_dieu_22(tmp_path: Path) -> None:
    rows = _chain(6)
    done = _run(tmp_path, rows, f"6:{rows[-1]['hash']}", f"3:{rows[2]['hash']}")
    assert done.returncode == 0 and done.stdout.strip().endswith("OK"), done.stdout


def test_a_row_removed_from_the_export_is_named_dieu_22(tmp_path: Path) -> None:
    rows = _chain(6)
    done = _run(tmp_path, rows[:3] + rows[4:], f"6:{rows[-1]['hash']}")
    assert done.returncode == 1 and "the first: #5: the chain is broken" in done.stdout


def test_a_rechained_export_differs_from_the_kept_head_dieu_22(tmp_path: Path) -> None:
    """Rewriting every hash after an edit keeps the export consistent, not the kept head."""
    rows = _chain(6)
    kept = f"6:{rows[-1]['hash']}"
    previous = rows[1]["hash"]
    rows[2]["event_digest"] = "0" * 64
    for row in rows[2:]:
        row["previous_hash"] = previous
        row["hash"] = previous = chain_hash(previous, row["event_digest"])
    done = _run(tmp_path, rows, kept)
    assert done.returncode == 1 and "#6: the export's hash differs from the kept head" \
        in done.stdout
