"""As-of benchmark (issue 16): an as-of build from the nearest checkpoint vs the full replay.

    .venv/bin/python -m benchmarks.as_of --events 200000

1. Generates the history of ``benchmarks.rebuild`` (same city, 18 months, same seed).
2. Measures, in one run: (a) ``COPY … ORDER BY notification_id`` of the stored events (the raw
   PostgreSQL baseline); (b) ``Projector.rebuild()`` of every read model; (c) as-of builds at
   ``--instants`` random instants of the history, every read model and ``public_results``
   alone, without checkpoints (a replay from the first event, stopping after the last range of
   events recorded up to the instant; the engine before issue 16 read on to the head); (d) ``make_checkpoints`` (``ihanoi projections checkpoint``: month ends and every
   ``--every`` events); (e) the same as-of builds again, from the checkpoints; RSS throughout.

Target: an as-of at any instant ≤ 0.1 × the full rebuild's time (at 1M events).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta

from application.database import drop_schema
from benchmarks import console, machine_load, peak_rss_mb, print_table, rss_mb
from benchmarks.rebuild import MONTHS, START, city, copy_rate, write_history
from projections.checkpoints import checkpoints, make_checkpoints, scan_instants, start_point
from projections.engine import Projector
from projections.registry import READ_MODELS

END = START + timedelta(days=30.5 * MONTHS)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="events to generate")
    parser.add_argument("--workers", type=int, default=2, help="generator processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--instants", type=int, default=3, help="random as-of instants")
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
                              clock=lambda: END + timedelta(days=1))
        projector.ensure_tracking()
        rss = [rss_mb()]
        started = time.perf_counter()
        projector.rebuild()
        rebuild_s = time.perf_counter() - started
        console.print(f"rebuild {rebuild_s:.1f} s")
        started = time.perf_counter()
        scan_instants(projector, span)
        scan_s = time.perf_counter() - started
        console.print(f"instants of every event scanned once in {scan_s:.1f} s")
        rng = random.Random(args.seed)
        instants = sorted(START + (END - START) * rng.random()
                          for _ in range(args.instants))
        cases = [(t, names) for t in instants for names in (None, ["public_results"])]
        before = []
        for instant, names in cases:
            before.append(timed_as_of(projector, instant, names))
            console.print(f"as of {instant:%Y-%m-%d %H:%M} {names or 'all'} without "
                          f"checkpoints: {before[-1][0]:.1f} s")
        rss.append(rss_mb())
        started = time.perf_counter()
        made = make_checkpoints(projector, every, now=END + timedelta(days=1), span=span)
        checkpoint_s = time.perf_counter() - started
        month_ends = sum(1 for c in made if c.month_end)
        console.print(f"{len(made)} checkpoints ({month_ends} at month ends) in "
                      f"{checkpoint_s:.1f} s")
        assert made == checkpoints(projector)
        after = []
        for instant, names in cases:
            after.append(timed_as_of(projector, instant, names))
        rss.append(rss_mb())
    print_table(f"As of an instant: {stored:,} stored events, {len(READ_MODELS)} read models; "
                f"COPY {copy_s:.1f} s, full rebuild {rebuild_s:.1f} s, instants scanned "
                f"{scan_s:.1f} s",
                ["instant", "read models", "without checkpoints s", "× rebuild",
                 "from a checkpoint s", "tail events", "× rebuild", "speed-up"],
                [[f"{t:%Y-%m-%d %H:%M}", "all" if names is None else ", ".join(names),
                  f"{b:.1f}", f"{b / rebuild_s:.3f}", f"{a:.1f}", f"{tail:,}",
                  f"{a / rebuild_s:.3f}", f"{b / a:.1f}×"]
                 for (t, names), (b, _), (a, tail) in zip(cases, before, after, strict=True)])
    worst = max(a for a, _ in after) / rebuild_s
    verdict = "[green]meets[/green]" if worst <= 0.1 else "[red]misses[/red]"
    console.print(f"worst as-of from checkpoints = [bold]{worst:.3f}× the rebuild[/bold] "
                  f"({verdict} the 0.1× target); checkpoints: {len(made)} made in "
                  f"{checkpoint_s:.1f} s ({checkpoint_s / rebuild_s:.2f}× the rebuild), every "
                  f"{every:,} events and at {month_ends} month ends; ranges of {span:,} events")
    console.print(f"RSS MiB: after the rebuild {rss[0]:.0f}, after as-of without checkpoints "
                  f"{rss[1]:.0f}, after checkpoints and as-of from them {rss[2]:.0f}; peak "
                  f"{peak_rss_mb():.0f}; {machine_load()}")


if __name__ == "__main__":
    main()
