"""Search benchmark (issue 13.3): p50/p99 of ``q=`` searches at scale vs the unsearched page.

    .venv/bin/python -m benchmarks.search --rows 1000000

Fills ``report_status`` and ``public_results`` of a fresh schema (migrated to heads, so with
the GIN trigram indexes of 0038/0038b) with ``--rows`` synthetic Vietnamese reports each
(streets, wards and complaints drawn from small vocabularies, in SQL), vacuums them, then
times the read models' own search functions (:func:`projections.report_status.search`,
:func:`projections.public_results.search`) for a set of queries — rare and common words,
with and without diacritics, the next page by cursor — against the same list's first page
without ``q`` (a plain keyset page, the baseline). Prints p50/p99 in milliseconds, the fill
time (inserts maintain the search indexes) and each query's plan: the indexes it read
(``auto_explain`` notices; a superuser is needed to load it, else ``?``) and whether it sorted
(the GIN path: every match ranked) or read in order (the GiST path).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from application.migrations import upgrade
from benchmarks import bench_target, console, machine_load, print_table
from projections import public_results, report_status

STREETS = ["Đường Láng", "Hàng Bài", "Kim Mã", "Hồ Gươm", "Tràng Tiền", "Lý Thái Tổ",
           "Giải Phóng", "Nguyễn Trãi", "Cầu Giấy", "Đội Cấn", "Tây Sơn", "Xã Đàn"]
WARDS = ["Đống Đa", "Hoàn Kiếm", "Ba Đình", "Cầu Giấy", "Thanh Xuân", "Hai Bà Trưng"]
COMPLAINTS = ["Ổ gà lớn giữa đường", "Đèn đường hỏng nhiều ngày", "Rác thải tràn ra vỉa hè",
              "Lấn chiếm vỉa hè bán hàng", "Cây đổ chắn lối đi", "Hố ga mất nắp",
              "Nước thải chảy tràn", "Tiếng ồn công trình ban đêm"]
QUERIES = ["duong lang", "Hồ Gươm", "ho ga mat nap", "kim ma 1234", "kim ma 12", "vỉa hè",
           "xyz qwv"]


def fill(conn: psycopg.Connection[Any], rows: int) -> None:
    """``rows`` reports in report_status and as many published results (one statement each)."""
    words = {"streets": STREETS, "wards": WARDS, "complaints": COMPLAINTS}
    common = ("WITH v AS (SELECT %(streets)s::text[] AS s, %(wards)s::text[] AS w,"
              " %(complaints)s::text[] AS c), g AS (SELECT i, gen_random_uuid() AS id,"
              " now() - i * interval '1 minute' AS at,"
              " c[1 + i %% 8] || ' ở ' || s[1 + (i / 8) %% 12] AS text,"
              " (i %% 997) || ' ' || s[1 + (i / 8) %% 12] || ', ' || w[1 + i %% 6] AS address"
              " FROM v, generate_series(1, %(rows)s) i)")
    conn.execute(common + " INSERT INTO report_status (report_id, kind, category, text,"
                 " address, confidential, reporter_id, receiving_unit_id, status,"
                 " submitted_at, updated_at, version, matter_id)"
                 " SELECT id, 'field', 'urban_order', text, address, false,"
                 " gen_random_uuid(), gen_random_uuid(), 'published', at, at, 1, id FROM g",
                 {**words, "rows": rows})
    conn.execute(common + " INSERT INTO public_results (report_id, kind, category, summary,"
                 " area, submitted_at, published_at, result_text)"
                 " SELECT id, 'field', 'urban_order', text, address, at, at,"
                 " 'Đã xử lý xong' FROM g", {**words, "rows": rows})
    conn.commit()
    conn.autocommit = True
    for table in ("report_status", "public_results"):
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
    conn.autocommit = False


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """p50 and p99 of ``call`` in milliseconds over ``repeat`` runs (after one warm-up)."""
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(samples, n=100)
    return statistics.median(samples), cuts[98]


def plan(conn: psycopg.Connection[Any], call: Callable[[], Any]) -> str:
    """The indexes ``call``'s statements read, ``+ sort`` when one sorted: from
    ``auto_explain`` notices (``?`` without the right to load it)."""
    notices: list[str] = []
    try:
        conn.execute("LOAD 'auto_explain'")
    except psycopg.Error:
        conn.rollback()
        return "?"
    conn.execute("SET auto_explain.log_min_duration = 0")
    conn.execute("SET client_min_messages = log")
    def handler(diagnostic: psycopg.errors.Diagnostic) -> None:
        notices.append(diagnostic.message_primary or "")
    conn.add_notice_handler(handler)
    try:
        call()
        conn.execute("SELECT 1")  # the last statement's notice comes with the next one
    finally:
        conn.remove_notice_handler(handler)
        conn.execute("RESET client_min_messages")
        conn.execute("RESET auto_explain.log_min_duration")
    text = "\n".join(notices)
    indexes = dict.fromkeys(re.findall(r"Index Scan (?:Backward )?(?:using|on) (\w+)", text))
    return " ".join(indexes) + (" + sort" if re.search(r"\bSort\b", text) else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="reports per table")
    parser.add_argument("--repeat", type=int, default=50, help="runs per query")
    args = parser.parse_args()
    console.print(machine_load())
    with bench_target("bench_search") as target:
        upgrade(target.url, target.schema)
        with psycopg.connect(target.url) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(target.schema)))
            started = time.perf_counter()
            fill(conn, args.rows)
            console.print(f"{args.rows:,} reports per table in {time.perf_counter() - started:.0f} s")
            lists: dict[str, Callable[..., Any]] = {
                "GET /reports": report_status.search, "GET /public/results": public_results.search}
            table, plans = [], []
            for name, search in lists.items():
                p50, p99 = timed(lambda s=search: s(conn), args.repeat)
                table.append((f"{name} (no q: baseline)", f"{p50:.1f}", f"{p99:.1f}", "-"))
                for q in QUERIES:
                    def run(s: Callable[..., Any] = search, q: str = q) -> Any:
                        return s(conn, q=q)
                    rows, cursor = run()
                    p50, p99 = timed(run, args.repeat)
                    table.append((f"{name}?q={q}", f"{p50:.1f}", f"{p99:.1f}", len(rows)))
                    plans.append(f"{name}?q={q}: {plan(conn, run)}")
                    if cursor:
                        def following(s: Callable[..., Any] = search, q: str = q,
                                      c: str = cursor) -> Any:
                            return s(conn, q=q, cursor=c)
                        p50, p99 = timed(following, args.repeat)
                        table.append((f"{name}?q={q} (page 2)", f"{p50:.1f}", f"{p99:.1f}",
                                      "-"))
                        plans.append(f"{name}?q={q} (page 2): {plan(conn, following)}")
                conn.rollback()
            print_table(f"Search, {args.rows:,} reports per table (ms)",
                        ("query", "p50", "p99", "rows"), table)
            for line in plans:
                print("plan", line)


if __name__ == "__main__":
    main()
