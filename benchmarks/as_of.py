"""As-of benchmark (issue 16): an as-of build from the nearest checkpoint vs the full replay,
and checkpoint retention.

    .venv/bin/python -m benchmarks.as_of --events 200000

1. Generates the history of ``benchmarks.rebuild`` (same city, 18 months, same seed).
2. Measures, in one run: (a) ``COPY … ORDER BY notification_id`` of the stored events (the raw
   PostgreSQL baseline); (b) ``Projector.rebuild()`` of every read model; (c) with
   ``--baseline``, as-of builds at ``--instants`` random instants, every read model and
   ``public_results`` alone, without checkpoints (a replay from the first event); (d)
   ``make_checkpoints`` keeping them all (month ends and every ``--every`` events) and the
   disk each takes beside the live read models; (e) as-of builds of every read model at
   instants placed on the checkpoints (a month end, mid-month, right after a checkpoint cut by
   count, just before the next, one whose checkpoint retention drops) and at the random ones;
   (f) ``make_checkpoints`` with the default retention (``Retention()``), the disk after, and
   the same as-of builds again; RSS throughout.

Target: an as-of at any instant ≤ 0.1 × the full rebuild's time (at 1M events).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta

import psycopg

from application.database import drop_schema
from benchmarks import console, machine_load, peak_rss_mb, print_table, rss_mb
from benchmarks.rebuild import MONTHS, START, city, copy_rate, write_history
from projections.checkpoints import (
    Checkpoint,
    Retention,
    checkpoints,
    make_checkpoints,
    month_end_at_or_after,
    retained,
    scan_instants,
    start_point,
)
from projections.engine import Projector
from projections.registry import READ_MODELS

END = START + timedelta(days=30.5 * MONTHS)
NOW = END + timedelta(days=1)
KEEP_ALL = Retention(months=10_000, latest=10_000_000)


def timed_as_of(projector: Projector, instant: datetime, names: list[str] | None
                ) -> tuple[float, int]:
    """Seconds to build the as-of schema (dropped after), and the events replayed after the
    checkpoint it started from."""
    models = [projector.model(n) for n in names] if names else projector.models
    base, stop = start_point(projector, models, instant)
    started = time.perf_counter()
    schema = projector.as_of(instant, names)
    seconds = time.perf_counter() - started
    drop_schema(projector.conninfo, schema)
    return seconds, stop - (base.position if base else 0)


def sizes_mb(projector: Projector, schemas: list[str]) -> dict[str, tuple[float, float]]:
    """Per schema, the MB of the read models' tables (with TOAST) and of their indexes."""
    tables = [t for m in projector.models for t in m.tables]
    with psycopg.connect(projector.conninfo) as conn:
        rows = conn.execute(
            "SELECT n.nspname, sum(pg_table_size(c.oid)), sum(pg_indexes_size(c.oid))"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = ANY(%s) AND c.relname = ANY(%s) AND c.relkind = 'r'"
            " GROUP BY 1", (schemas, tables)).fetchall()
    return {name: (float(heap) / 2**20, float(indexes) / 2**20) for name, heap, indexes in rows}


def placed(made: list[Checkpoint], kept: list[Checkpoint]) -> list[tuple[str, datetime]]:
    """Instants placed on the checkpoints: the month end before last, the middle of the month
    before it, right after a checkpoint cut by count (the middle one) and just before the next
    one, and the last month end whose checkpoint retention drops."""
    ends = [c for c in made if c.month_end]
    counted = [c for c in made if c.month_end is None] or made
    after = counted[len(counted) // 2]
    following = made[made.index(after) + 1] if after is not made[-1] else after
    instants = []
    if len(ends) >= 2:
        end = ends[-2].month_end
        assert end is not None
        instants += [("month end", end), ("mid-month", end - timedelta(days=16))]
    instants += [("after a checkpoint", after.covers + timedelta(minutes=1)),
                 ("before the next", following.covers - timedelta(minutes=1))]
    dropped = [c for c in ends if c not in kept]
    if dropped:
        instants.append(("dropped month end", month_end_at_or_after(dropped[-1].covers)))
    return instants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="events to generate")
    parser.add_argument("--workers", type=int, default=2, help="generator processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--instants", type=int, default=1, help="random as-of instants")
    parser.add_argument("--baseline", action="store_true",
                        help="also time the random as-of builds without checkpoints")
    parser.add_argument("--every", type=int, default=None,
                        help="events between checkpoints (default: events / 10, as 100k at 1M)")
    parser.add_argument("--span", type=int, default=None,
                        help="events per range of instants (default: events / 1000, as at 1M)")
    args = parser.parse_args()
    every = args.every or max(1_000, args.events // 10)
    span = args.span or max(10, args.events // 1_000)
    with city("bench_as_of") as (target, env, app, directory):
        stored = write_history(target, env, directory, args.events, args.workers, args.seed)
        console.print(f"stored {stored:,} events; {machine_load()}")
        copy_s, _ = copy_rate(target)
        projector = Projector(app, target.url, READ_MODELS, schema=target.schema,
                              clock=lambda: NOW)
        projector.ensure_tracking()
        rss = [rss_mb()]
        started = time.perf_counter()
        projector.rebuild()
        rebuild_s = time.perf_counter() - started
        console.print(f"rebuild {rebuild_s:.1f} s; {machine_load()}")
        started = time.perf_counter()
        scan_instants(projector, span)
        scan_s = time.perf_counter() - started
        console.print(f"instants of every event scanned once in {scan_s:.1f} s")
        rng = random.Random(args.seed)
        randoms = sorted(START + (END - START) * rng.random() for _ in range(args.instants))
        for instant in randoms if args.baseline else ():
            for names in (None, ["public_results"]):
                seconds, tail = timed_as_of(projector, instant, names)
                console.print(f"as of {instant:%Y-%m-%d %H:%M} {names or 'all'} without "
                              f"checkpoints: {seconds:.1f} s ({seconds / rebuild_s:.3f}× the "
                              f"rebuild), {tail:,} events")
        rss.append(rss_mb())
        started = time.perf_counter()
        made = make_checkpoints(projector, every, now=NOW, span=span, keep=KEEP_ALL)
        checkpoint_s = time.perf_counter() - started
        assert made == checkpoints(projector)
        month_ends = sum(1 for c in made if c.month_end)
        console.print(f"{len(made)} checkpoints ({month_ends} at month ends) in "
                      f"{checkpoint_s:.1f} s; {machine_load()}")
        kept = retained(made, Retention(), every, NOW)
        size = sizes_mb(projector, [projector.schema] + [c.schema for c in made])
        live_heap, live_indexes = size[projector.schema]
        instants = placed(made, kept) + [("random", t) for t in randoms]
        before = [timed_as_of(projector, t, None) for _, t in instants]
        started = time.perf_counter()
        assert make_checkpoints(projector, every, now=NOW, span=span) == []
        prune_s = time.perf_counter() - started
        assert checkpoints(projector) == kept
        after = [timed_as_of(projector, t, None) for _, t in instants]
        rss.append(rss_mb())
    print_table(f"Checkpoints: {stored:,} stored events, every {every:,} events and month ends;"
                f" live read models {live_heap:.0f} MB of tables + {live_indexes:.0f} MB of "
                "indexes", ["checkpoint", "position", "month end", "tables MB", "indexes MB",
                            "kept by Retention()"],
                [[c.schema, f"{c.position:,}", f"{c.month_end:%Y-%m}" if c.month_end else "",
                  f"{size[c.schema][0]:.0f}", f"{size[c.schema][1]:.0f}",
                  "yes" if c in kept else "dropped"] for c in made])
    total = sum(size[c.schema][0] + size[c.schema][1] for c in made)
    left = sum(size[c.schema][0] + size[c.schema][1] for c in kept)
    console.print(f"checkpoints on disk: {len(made)} take {total:,.0f} MB "
                  f"({total / (live_heap + live_indexes):.1f}× the live read models); the "
                  f"{len(kept)} kept {left:,.0f} MB ({left / (live_heap + live_indexes):.1f}×);"
                  f" pruning took {prune_s:.1f} s")
    print_table(f"As of an instant, every read model: full rebuild {rebuild_s:.1f} s, COPY "
                f"{copy_s:.1f} s, instants scanned {scan_s:.1f} s",
                ["instant", "at", "all checkpoints s", "× rebuild", "tail events",
                 "after retention s", "× rebuild", "tail events"],
                [[what, f"{t:%Y-%m-%d %H:%M}", f"{b:.1f}", f"{b / rebuild_s:.3f}", f"{bt:,}",
                  f"{a:.1f}", f"{a / rebuild_s:.3f}", f"{at:,}"]
                 for (what, t), (b, bt), (a, at) in zip(instants, before, after, strict=True)])
    worst = max(a for a, _ in after + before) / rebuild_s
    verdict = "[green]meets[/green]" if worst <= 0.1 else "[red]misses[/red]"
    console.print(f"worst as-of from checkpoints = [bold]{worst:.3f}× the rebuild[/bold] "
                  f"({verdict} the 0.1× target); checkpoints: {len(made)} made in "
                  f"{checkpoint_s:.1f} s ({checkpoint_s / rebuild_s:.2f}× the rebuild), every "
                  f"{every:,} events and at {month_ends} month ends; ranges of {span:,} events")
    console.print(f"RSS MiB: after the rebuild {rss[0]:.0f}, before the checkpoints "
                  f"{rss[1]:.0f}, at the end {rss[2]:.0f}; peak {peak_rss_mb():.0f}; "
                  f"{machine_load()}")


if __name__ == "__main__":
    main()
