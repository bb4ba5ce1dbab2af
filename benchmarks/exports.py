"""Audit export memory benchmark (issue 13 item 2): the peak memory of ``/audit.csv`` and
``/audit.xlsx`` stays flat however long the trail.

    .venv/bin/python -m benchmarks.exports --rows 1000000

Fills ``audit_trail`` and ``event_chain`` with ``--rows`` synthetic rows (SQL
``generate_series``: no events are generated, the export reads only these two tables), then
exports a tenth of them and all of them, each in a fresh process, through the routes' own
code (``COPY`` and the citizen filter for CSV; the server-side cursor and openpyxl's
write-only workbook in a temporary file for XLSX), and prints for each the peak resident
memory above the process's baseline, the time and the size. Flat memory: the two peaks
about equal while the row counts differ tenfold.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from datetime import datetime, timedelta
from typing import Any

from application.database import connect
from application.migrations import upgrade
from benchmarks import bench_target, console, machine_load, peak_rss_mb, print_table
from domain.calendar import BUSINESS_TZ

START = datetime(2026, 1, 1, 8, 0, tzinfo=BUSINESS_TZ)

FILL = """
INSERT INTO audit_trail (notification_id, aggregate_type, aggregate_id, version, event_type,
    at, actor_id, actor_role, actor_unit_id, actor_unit_level, unit_id, report_id,
    closed_stage, closed_unit_id, closed_started_at, closed_due, closed_on_time,
    opened_stage, opened_unit_id, opened_due, details)
SELECT i, 'Report', r, i %% 8 + 1, 'Accepted', %(start)s + i * interval '1 second',
       md5((i %% 101)::text), 'receiving_officer', u, 'district', u, r,
       'reception', u, %(start)s + i * interval '1 second' - interval '2 hours',
       %(start)s + i * interval '1 second' + interval '1 day', i %% 3 <> 0,
       'handling', u, %(start)s + i * interval '1 second' + interval '10 days',
       jsonb_build_object('handling_unit_id', u::text)
FROM generate_series(1, %(rows)s) AS i,
     LATERAL (SELECT md5((i / 8)::text)::uuid AS r, md5((i %% 29)::text)::uuid AS u) AS x
"""
CHAIN = """
INSERT INTO event_chain (notification_id, originator_id, originator_version, topic,
                         event_digest, previous_hash, hash)
SELECT notification_id, aggregate_id, version, 'domain.report:Report.Accepted',
       md5(notification_id::text), md5((notification_id - 1)::text),
       md5(notification_id::text || 'h')
FROM audit_trail
"""


def _export(url: str, schema: str, fmt: str, until: datetime, out: Any) -> None:
    """In a fresh process: export the trail up to ``until`` as the route would, discarding
    the bytes; report (peak MiB above the baseline, seconds, bytes)."""
    from api.exports import AUDIT, _xlsx
    from api.queries import _csv_without_citizens, _without_citizens
    from projections import audit_trail

    baseline = peak_rss_mb()
    started, size = time.perf_counter(), 0
    with connect(url, schema=schema) as conn:
        if fmt == "csv":
            blocks = _csv_without_citizens(audit_trail.export_csv(conn, until=until))
        else:
            rows = (_without_citizens(r) for r in audit_trail.export_rows(conn, until=until))
            blocks = _xlsx("Nhật ký", AUDIT, rows)
        for block in blocks:
            size += len(block)
    out.put((peak_rss_mb() - baseline, time.perf_counter() - started, size))


def measure(url: str, schema: str, fmt: str, rows: int) -> tuple[float, float, int]:
    context = mp.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_export, args=(
        url, schema, fmt, START + timedelta(seconds=rows + 1), out))
    child.start()
    result: tuple[float, float, int] = out.get()
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="audit rows to export")
    args = parser.parse_args()
    with bench_target("bench_exports") as target:
        upgrade(target.url, target.schema)
        with connect(target.url, schema=target.schema) as conn:
            started = time.perf_counter()
            conn.execute(FILL, {"start": START, "rows": args.rows})
            conn.execute(CHAIN)
            conn.execute("ANALYZE audit_trail")
        console.print(f"filled {args.rows:,} rows in {time.perf_counter() - started:.0f} s")
        console.print(machine_load())
        table = []
        for fmt in ("csv", "xlsx"):
            for rows in (max(args.rows // 10, 1), args.rows):
                peak, seconds, size = measure(target.url, target.schema, fmt, rows)
                table.append((fmt, f"{rows:,}", f"{peak:.1f}", f"{seconds:.1f}",
                              f"{size / 2**20:.1f}", f"{rows / seconds:,.0f}"))
        print_table("audit export", ("format", "rows", "peak MiB above baseline", "seconds",
                                     "MiB", "rows/s"), table)


if __name__ == "__main__":
    main()
