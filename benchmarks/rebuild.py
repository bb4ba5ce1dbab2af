"""Rebuild benchmark (issue 4): replaying the history into every read model vs raw COPY.

    .venv/bin/python -m benchmarks.rebuild --events 1000000

1. Generates a realistic history: a unit tree (city, service centre, departments, districts
   with a division and communes: 29 units, 101 officers) made with IHanoi commands, then
   reporters and reports played through the real aggregates (Report.submit, accept, classify,
   assign, … with the service's side effects on the Reporter: ``ihanoi.simulation.History``, seeded)
   on a synthetic working-time clock
   across 18 months of holidays: rejections, verifications, centre transfers, urgent / normal /
   complex handling, coordination, extensions, rework, clarifications, ratings, violations,
   late stages, and reports still open at the end. Events are stored in business-time order
   by the application's own event store (``app.events.put``: encrypted, compressed), in
   batches, by ``--workers`` processes.
2. Measures (a) ``COPY (SELECT … ORDER BY notification_id) TO STDOUT`` of the stored events,
   the ceiling of reading and decoding them alone in 1 and 2 processes (issue 16),
   (b) ``Projector.rebuild()`` of all read models (projections.registry.READ_MODELS) with RSS
   sampled through it, eventsourcing's stock ``ProjectionRunner`` over the same handlers for
   ``--runner-seconds`` (issue 16), (c) projection lag (commit → visible in report_status)
   p50/p99 with a ``Projector.run_forever`` thread while ``--lag-workers`` processes issue
   ``--lag-rate`` commands/s together.

Targets: rebuild ≥ 0.25 × COPY; RSS flat in the number of events. ``--profile`` then rebuilds
twice more, under cProfile and timing each read model's handlers, to show where time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing as mp
import pstats
import queue
import random
import statistics
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Self
from uuid import UUID, uuid4

import psutil
import psycopg
from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import get_topic
from psycopg import sql
from psycopg.rows import tuple_row
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from application.commands import (
    Accept,
    ApproveResult,
    Assign,
    Classify,
    ProposeResult,
    Publish,
    Rate,
    RegisterReporter,
    SubmitReport,
    UpdateResult,
)
from application.database import connect, eventsourcing_env, parse_url
from application.migrations import upgrade
from application.sealing import Sealer
from application.services import IHanoi
from benchmarks import (
    Target,
    bench_target,
    console,
    load_kept,
    machine_load,
    peak_rss_mb,
    print_table,
    rss_mb,
    save_kept,
)
from domain.calendar import BUSINESS_TZ
from ihanoi import simulation
from ihanoi.simulation import EVENTS_PER_REPORT, Directory, History, city_plan
from projections.engine import Projector, ReadModel
from projections.registry import READ_MODELS

START = datetime(2025, 1, 2, 0, 0, tzinfo=BUSINESS_TZ)  # Tết 2025, 30/4, 2/9, Tết 2026 inside
MONTHS = 18
#: 29 units and 101 officers.
CITY = city_plan(["Hoàn Kiếm", "Ba Đình", "Cầu Giấy", "Đống Đa", "Hai Bà Trưng", "Long Biên"],
                 ["Sở Xây dựng", "Sở Nông nghiệp và Môi trường", "Sở Tài chính"],
                 receivers=2, officers=4, ward_officers=3, centre_receivers=3,
                 overseers=True)  # an inspector of the directory for the API benchmark


def build_directory(app: IHanoi) -> Directory:
    """The benchmark's city (:data:`CITY`), through the application service."""
    return simulation.build_directory(app, CITY)


@contextmanager
def city(prefix: str, reuse: str | None = None, key: str | None = None,
         keep: str | None = None) -> Iterator[tuple[Any, dict[str, str], IHanoi, Directory]]:
    """A migrated target (``reuse``: a kept one, with its ``key``; ``keep``: kept at the end),
    the application on it and the benchmark's unit tree and officers, created two months
    before the history starts."""
    with bench_target(prefix, keep=keep, reuse=reuse) as target:
        upgrade(target.url, target.schema)
        env = eventsourcing_env(target.url, cipher_key=key or AESCipher.create_key(32),
                                schema=target.schema)
        directory_clock = START - timedelta(days=60)
        app = IHanoi(env=env, clock=lambda: directory_clock)
        try:
            yield target, env, app, build_directory(app)
        finally:
            app.close()


def generate(worker: int, workers: int, env: dict[str, str], directory: Directory,
             target_events: int, seed: int, counter: Any) -> None:
    """One worker's share: its reporters, then every ``workers``-th report of the timeline."""
    app = IHanoi(env=env)

    def stored(n: int) -> None:
        with counter.get_lock():
            counter.value += n

    history = History(app, directory, seed=seed * 1000 + worker, start=START,
                      end=START + timedelta(days=30.5 * MONTHS), on_stored=stored)
    reporters = max(20, target_events // (60 * workers))
    history.register_reporters(reporters, first=worker * reporters)
    reports = round((target_events - reporters) * workers / EVENTS_PER_REPORT)
    try:
        history.play(reports, first=worker, every=workers)
    finally:
        app.close()


def write_history(target: Target, env: dict[str, str], directory: Directory, events: int,
                  workers: int, seed: int) -> int:
    ctx = mp.get_context("spawn")
    counter = ctx.Value("q", 0)
    share = -(-events // workers)
    processes = [ctx.Process(target=generate, args=(w, workers, env, directory, share, seed,
                                                    counter)) for w in range(workers)]
    for process in processes:
        process.start()
    columns = (TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TextColumn("events"),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("", total=events)
        while any(process.is_alive() for process in processes):
            bar.update(task, completed=counter.value)
            time.sleep(0.5)
        bar.update(task, completed=counter.value)
    if any(process.exitcode for process in processes):
        raise SystemExit("a generator process failed")
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(events_table(target)))
        return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
            events_table(target))).fetchone()[0]


def events_table(target: Target) -> sql.Identifier:
    return sql.Identifier(target.schema, "ihanoi_events")


# ------------------------------------------------------------------------ measurements


def copy_rate(target: Target) -> tuple[float, int]:
    """(a) seconds and bytes to COPY every stored event out in notification order."""
    query = sql.SQL("COPY (SELECT notification_id, originator_id, originator_version, topic, "
                    "state FROM {} ORDER BY notification_id) TO STDOUT").format(
                        events_table(target))
    with psycopg.connect(target.url) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        size = 0
        with cur.copy(query) as copy:
            for block in copy:
                size += len(block)
        return time.perf_counter() - started, size


def _decode_share(env: dict[str, str], topics: list[str], after: int, stop: int,
                  barrier: Any, out: Any) -> None:
    """One process's share of the ceiling: read and decode notifications ``after < id <=
    stop``; sends (events, seconds)."""
    app = IHanoi(env=env)
    try:
        barrier.wait()
        started, events, position = time.perf_counter(), 0, after
        while position < stop:
            batch = app.recorder.select_notifications(
                start=position, limit=2000, stop=stop, topics=topics, inclusive_of_start=False)
            if not batch:
                break
            for notification in batch:
                app.mapper.to_domain_event(notification)
            events += len(batch)
            position = batch[-1].id
        out.put((events, time.perf_counter() - started))
    finally:
        app.close()


def decode_ceiling(env: dict[str, str], projector: Projector, processes: int) -> float:
    """Events/s at which ``processes`` processes merely read and decode (AES-GCM, zlib,
    JSON: ``select_notifications`` + ``mapper.to_domain_event``) the events a rebuild reads,
    each a contiguous share of the notification ids: the bound of any rebuild that decodes
    in Python on these cores."""
    head = projector.head()
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    bounds = [head * i // processes for i in range(processes + 1)]
    shares = [ctx.Process(target=_decode_share, args=(env, projector.topics, bounds[i],
                                                      bounds[i + 1], barrier, out))
              for i in range(processes)]
    for share in shares:
        share.start()
    results = [out.get() for _ in shares]
    for share in shares:
        share.join()
    return sum(n for n, _ in results) / max(seconds for _, seconds in results)


class RssSampler:
    """Samples RSS every 50 ms; ``mark()`` closes a window and returns (RSS now, window peak)."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())

    def mark(self) -> tuple[float, float]:
        now = rss_mb()
        peak, self.peak = max(self.peak, now), now
        return now, peak

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()


class ServerCpu:
    """CPU seconds used by the PostgreSQL backends of ``dbname`` (a server on this machine),
    sampled every 100 ms: a backend's last 100 ms are missed if it exits in between."""

    def __init__(self, dbname: str) -> None:
        self.marker = f" {dbname} "
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for process in psutil.process_iter(["cmdline"]):
            try:
                command = " ".join(process.info["cmdline"] or [])
                if command.startswith("postgres:") and self.marker in command:
                    times = process.cpu_times()
                    self.first.setdefault(process.pid, times.user + times.system)
                    self.last[process.pid] = times.user + times.system
            except psutil.Error:
                pass

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            self._sample()

    @property
    def seconds(self) -> float:
        return sum(cpu - self.first[pid] for pid, cpu in self.last.items())

    def __enter__(self) -> Self:
        self._sample()
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        self._sample()


class _CountingCursor:
    """A cursor that counts the statements a handler sends."""

    def __init__(self, cur: psycopg.Cursor[Any], tally: list[float]) -> None:
        self._cur, self._tally = cur, tally

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self._tally[2] += 1
        return self._cur.execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        self._tally[2] += 1
        return self._cur.executemany(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


@contextmanager
def handler_timings(models: list[ReadModel]) -> Iterator[dict[str, list[float]]]:
    """Per read model: [seconds in its handlers, events handled, statements sent]."""
    tallies = {m.name: [0.0, 0, 0] for m in models}
    originals = {m.name: dict(m.handlers) for m in models}

    def timed(handler: Any, tally: list[float]) -> Any:
        def run(cur: psycopg.Cursor[Any], event: Any, nid: int) -> None:
            started = time.perf_counter()
            handler(_CountingCursor(cur, tally), event, nid)
            tally[0] += time.perf_counter() - started
            tally[1] += 1
        return run

    for m in models:
        m.handlers = {t: timed(h, tallies[m.name]) for t, h in m.handlers.items()}
    try:
        yield tallies
    finally:
        for m in models:
            m.handlers = originals[m.name]


def rebuild(projector: Projector) -> tuple[float, list[tuple[str, float, float]]]:
    """(b) seconds for a full rebuild of every read model, and RSS at each quarter; prints
    the CPU this process and the server's backends used meanwhile."""
    quarters: list[tuple[str, float, float]] = []
    next_quarter = [1]
    columns = (TextColumn("rebuilding"), BarColumn(), MofNCompleteColumn(),
               TextColumn("notifications"), TimeElapsedColumn())
    client = time.process_time()
    with RssSampler() as sampler, ServerCpu(parse_url(projector.conninfo)["dbname"]) as server, \
            Progress(*columns, console=console) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            while next_quarter[0] <= 4 and done * 4 >= total * next_quarter[0]:
                quarters.append((f"{25 * next_quarter[0]}%", *sampler.mark()))
                next_quarter[0] += 1

        started = time.perf_counter()
        projector.rebuild(progress=progress)
        seconds = time.perf_counter() - started
    client = time.process_time() - client
    console.print(f"CPU during the rebuild ({seconds:.1f} s wall): this process {client:.1f} s, "
                  f"PostgreSQL backends {server.seconds:.1f} s (0 if the server is elsewhere)")
    return seconds, quarters


def per_model(projector: Projector) -> None:
    """Another rebuild, timing every read model's handlers (client side, without cProfile)."""
    with handler_timings(projector.models) as tallies:
        started = time.perf_counter()
        projector.rebuild()
        seconds = time.perf_counter() - started
    rows = [[name, f"{t:.1f}", f"{100 * t / seconds:.0f}%", f"{n:,.0f}", f"{q:,.0f}",
             f"{1e6 * t / q:.0f}" if q else "-"]
            for name, (t, n, q) in sorted(tallies.items(), key=lambda kv: -kv[1][0])]
    handlers = sum(t for t, _, _ in tallies.values())
    rows.append(["rest: fetch, decode, waiting for the server", f"{seconds - handlers:.1f}",
                 f"{100 * (seconds - handlers) / seconds:.0f}%", "", "", ""])
    print_table(f"Rebuild per read model ({seconds:.1f} s wall; client side: statements are "
                "queued, the server runs them meanwhile)",
                ["read model", "seconds", "share", "events", "statements", "µs/statement"], rows)


def profile_rebuild(projector: Projector) -> None:
    """Another rebuild under cProfile: where its time goes (cumulative seconds)."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(projector.rebuild)
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    parts = [
        ("read events (select_notifications)", ("postgres.py",), "select_notifications"),
        ("decode events (to_domain_event)", ("persistence.py",), "to_domain_event"),
        ("  AES-GCM decrypt", ("cipher.py", "cryptography.py"), "decrypt"),
        ("  zlib decompress", ("compressor.py",), "decompress"),
        ("  JSON decode + transcodings", ("persistence.py",), "decode"),
        ("read-model handlers (ReadModel.process)", ("engine.py",), "process"),
        ("  statements queued (Statements.execute)", ("engine.py",), "execute"),
        ("    flushed every 200 (Statements._communicate)", ("engine.py",), "_communicate"),
        ("end of each batch: server catching up (Statements._sync)", ("engine.py",), "_sync"),
        ("SET LOGGED + VACUUM ANALYZE (Projector._finish)", ("engine.py",), "_finish"),
    ]
    rows = []
    for label, files, function in parts:
        cumulative = sum(ct for (f, _, name), (_, _, _, ct, _) in stats.items()
                         if f.endswith(files) and name == function)
        rows.append([label, f"{cumulative:.1f}", f"{100 * cumulative / seconds:.0f}%"])
    print_table(f"Rebuild profile (cProfile, {seconds:.1f} s wall incl. profiler overhead)",
                ["where", "seconds (cumulative)", "share"], rows)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


class _SealedCursor(psycopg.Cursor[Any]):
    """A plain psycopg cursor (tuples) carrying the application's sealer, as handlers expect
    of their cursor (:func:`application.sealing.sealer_of`)."""

    sealer: Sealer | None = None


def stock_runner(target: Target, env: dict[str, str], projector: Projector,
                 seconds: float) -> tuple[int, float]:
    """eventsourcing's own ``ProjectionRunner`` (its subscription, its tracking recorder, one
    event per transaction) applying every read model's handlers (``ReadModel.process``) to
    copies of their tables in a scratch schema, from the first event, for ``seconds``;
    returns (events applied, seconds)."""
    models, live = projector.models, target.schema
    scratch = f"stock_{uuid4().hex[:8]}"
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(scratch)))
        for table in (t for m in models for t in m.tables):
            conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                sql.Identifier(scratch, table), sql.Identifier(live, table)))
    routed: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
    applied = [0]

    class ReadModelsView(PostgresTrackingRecorder):
        """The materialised view: the read models' tables, and the runner's tracking row
        moved in the same transaction as each event's statements."""

        def apply(self, event: Any, tracking: Tracking) -> None:
            topic = get_topic(type(event))
            with self.datastore.transaction(commit=True) as curs:
                if curs.connection not in routed:  # once per pooled connection
                    curs.execute(sql.SQL("SET search_path TO {}, {}").format(
                        sql.Identifier(scratch), sql.Identifier(live)))
                    routed.add(curs.connection)
                cur = _SealedCursor(curs.connection, row_factory=tuple_row)
                cur.sealer = projector.sealer
                for model in models:
                    model.process(cur, event, topic, tracking.notification_id)
                self._insert_tracking(curs, tracking)
            applied[0] += 1

    class ReadModels(Projection[ReadModelsView]):
        name = "stock_runner"
        topics = tuple(projector.topics)

        def process_event(self, domain_event: Any, tracking: Tracking) -> None:
            self.view.apply(domain_event, tracking)

    try:
        started = time.perf_counter()
        with ProjectionRunner(application_class=IHanoi, projection_class=ReadModels,
                              view_class=ReadModelsView, env=env) as runner:
            runner.run_forever(timeout=seconds)
        return applied[0], time.perf_counter() - started
    finally:
        with psycopg.connect(target.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(scratch)))
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(
                sql.Identifier(live, "stock_runner_tracking")))


def _command_load(env: dict[str, str], directory: Directory, rate: float, seconds: float,
                  out: Any, worker: int = 0, start_at: float = 0.0) -> None:
    """A steady stream of IHanoi commands from generator ``worker`` (its own reporter and
    district), starting at ``start_at`` (monotonic); sends (report id, version, commit
    instant)."""
    end_of_history = START + timedelta(days=30.5 * MONTHS)
    began = time.monotonic()
    app = IHanoi(env=env, clock=lambda: end_of_history + timedelta(
        seconds=(time.monotonic() - began) * 60))
    rng = random.Random(7 + worker)
    district = directory.districts[worker % len(directory.districts)]
    team = district.teams[0]
    officer = team.officers[0]
    reporter_id = app.handle(RegisterReporter(
        "Người dùng tải", phone=f"09000000{worker:02d}", email=f"tai{worker}@example.vn",
        national_id=f"0010990000{worker:02d}")).aggregate_id
    citizen = app.citizen_actor(reporter_id)
    steps: list[Callable[[UUID], Any]] = [
        lambda r: app.handle(Accept(r), district.receivers[0]),
        lambda r: app.handle(Classify(r, "normal"), district.head),
        lambda r: app.handle(Assign(r, team.unit_id, UUID(officer.id)), district.head),
        lambda r: app.handle(ProposeResult(r, "Đã xử lý dứt điểm vi phạm tại hiện trường",
                                           ["bien-ban.pdf"]), officer),
        lambda r: app.handle(ApproveResult(r), district.head),
        lambda r: app.handle(UpdateResult(r, ["anh-sau-xu-ly.jpg"]), officer),
        lambda r: app.handle(Publish(r), district.head),
        lambda r: app.handle(Rate(r, "satisfied"), citizen),
    ]
    active: list[tuple[UUID, int]] = []  # (report, next step)
    time.sleep(max(0.0, start_at - time.monotonic()))
    interval, tick = 1 / rate, time.monotonic() + worker / rate
    stop_at = tick + seconds
    while tick < stop_at:
        if len(active) < 20 and (not active or rng.random() < 0.2):
            result = app.handle(
                SubmitReport(reporter_id, kind="field", category="traffic",
                             text="Đèn tín hiệu giao thông "
                             "hỏng tại nút giao, ùn tắc kéo dài", latitude=21.02, longitude=105.85,
                             address="Nút giao Lê Duẩn", receiving_unit_id=district.unit_id))
            active.append((result.aggregate_id, 0))
        else:
            report_id, step = active.pop(rng.randrange(len(active)))
            result = steps[step](report_id)
            if step + 1 < len(steps):
                active.append((report_id, step + 1))
        out.put((result.aggregate_id, result.version, time.monotonic()))
        tick += interval
        time.sleep(max(0.0, tick - time.monotonic()))
    out.put(None)
    app.close()


def projection_lag(target: Target, env: dict[str, str], projector: Projector,
                   directory: Directory, rate: float, seconds: float,
                   workers: int = 1) -> tuple[list[float], float]:
    """(c) commit → visible in report_status, for every command of a steady load issued by
    ``workers`` processes sharing ``rate`` (one process alone does not reach 200/s here)."""
    stop = threading.Event()
    runner = threading.Thread(target=projector.run_forever, args=(stop,), daemon=True)
    runner.start()
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.monotonic() + 5 + 2 * workers  # after every process has its city
    loads = [ctx.Process(target=_command_load,
                         args=(env, directory, rate / workers, seconds, out, w, start_at))
             for w in range(workers)]
    for load in loads:
        load.start()
    lags: list[float] = []
    waiting: dict[UUID, list[tuple[int, float]]] = {}
    commands, last, finished = 0, None, 0
    with connect(target.url, schema=target.schema, autocommit=True) as conn:
        while finished < workers or waiting:
            while True:
                try:
                    item = out.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    finished += 1
                    continue
                report_id, version, committed = item
                waiting.setdefault(report_id, []).append((version, committed))
                commands += 1
                last = max(last or committed, committed)
            if waiting:
                rows = conn.execute("SELECT report_id, version FROM report_status "
                                    "WHERE report_id = ANY(%s)", (list(waiting),)).fetchall()
                now = time.monotonic()
                for report_id, version in rows:
                    still = [(v, c) for v, c in waiting[report_id] if v > version]
                    lags.extend(now - c for v, c in waiting[report_id] if v <= version)
                    if still:
                        waiting[report_id] = still
                    else:
                        del waiting[report_id]
            if finished < workers and any(load.exitcode for load in loads):
                raise SystemExit("a command load process failed")
            time.sleep(0.005)
    for load in loads:
        load.join()
    stop.set()
    runner.join()
    # From the scheduled start to the last commit: a load that falls behind shows it.
    achieved = commands / (last - start_at) if last and last > start_at else 0.0
    return lags, achieved


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events to generate")
    parser.add_argument("--workers", type=int, default=2, help="generator processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lag-seconds", type=float, default=20.0)
    parser.add_argument("--lag-rate", type=float, default=50.0, help="commands per second")
    parser.add_argument("--lag-workers", type=int, default=0,
                        help="command processes sharing --lag-rate (default: one per 100/s)")
    parser.add_argument("--runner-seconds", type=float, default=60.0,
                        help="time box of eventsourcing's stock ProjectionRunner (0: skip)")
    parser.add_argument("--keep", metavar="FILE",
                        help="keep the database and write where it is (and its key) to FILE")
    parser.add_argument("--reuse", metavar="FILE",
                        help="only the lag phase, on the history a `benchmarks.api --keep "
                             "FILE` or `rebuild --keep FILE` run left (with a city of its own "
                             "built first)")
    parser.add_argument("--profile", action="store_true",
                        help="then rebuild twice more: under cProfile, and timing each read model")
    args = parser.parse_args()
    args.lag_workers = args.lag_workers or max(1, -(-int(args.lag_rate) // 100))
    if args.reuse:
        lag_only(args)
        return
    with city("bench_rebuild", keep=args.keep) as (target, env, app, directory):
        if args.keep:
            save_kept(args.keep, target, key=env["CIPHER_KEY"])
        started = time.perf_counter()
        stored = write_history(target, env, directory, args.events, args.workers, args.seed)
        generation_s = time.perf_counter() - started
        console.print(f"stored {stored:,} events in {generation_s:.0f} s "
                      f"({stored / generation_s:,.0f} events/s with {args.workers} workers)")
        console.print(machine_load())
        copy_s, size = copy_rate(target)
        projector = Projector(app, target.url, READ_MODELS, schema=target.schema)
        projector.ensure_tracking()
        ceilings = [(n, decode_ceiling(env, projector, n)) for n in (1, 2)]
        console.print(f"decode ceiling done; {machine_load()}")
        rss_before = rss_mb()
        rebuild_s, quarters = rebuild(projector)
        console.print(f"rebuild done; {machine_load()}")
        runner = (stock_runner(target, env, projector, args.runner_seconds)
                  if args.runner_seconds else None)
        console.print(f"stock runner done; {machine_load()}")
        lags, achieved = projection_lag(target, env, projector, directory, args.lag_rate,
                                        args.lag_seconds, args.lag_workers)
        show_results(stored, size, copy_s, rebuild_s, rss_before, quarters, ceilings, runner)
        print_lag(lags, achieved, args.lag_workers)
        console.print(f"peak RSS of this process {peak_rss_mb():.0f} MiB; {machine_load()}")
        if args.profile:
            profile_rebuild(projector)
            per_model(projector)


def lag_only(args: argparse.Namespace) -> None:
    """(c) alone, on a kept history: its read models caught up first."""
    kept_key = str(load_kept(args.reuse)["key"])
    with city("bench_rebuild", reuse=args.reuse, key=kept_key) as (target, env, app, directory):
        projector = Projector(app, target.url, READ_MODELS, schema=target.schema)
        projector.ensure_tracking()
        projector.catch_up()
        stored = projector.head()
        console.print(f"{stored:,} events stored; {machine_load()}")
        lags, achieved = projection_lag(target, env, projector, directory, args.lag_rate,
                                        args.lag_seconds, args.lag_workers)
    print_lag(lags, achieved, args.lag_workers)


def print_lag(lags: list[float], achieved: float, workers: int) -> None:
    if len(lags) >= 2:
        print_table(f"Projection lag, commit → visible in report_status ({len(lags)} commands "
                    f"at {achieved:.0f}/s achieved, {workers} command processes)",
                    ["p50 ms", "p99 ms", "max ms"],
                    [[f"{1000 * percentile(lags, 50):.0f}", f"{1000 * percentile(lags, 99):.0f}",
                      f"{1000 * max(lags):.0f}"]])
    console.print(f"{machine_load()}")


def show_results(stored: int, size: int, copy_s: float, rebuild_s: float, rss_before: float,
                 quarters: list[tuple[str, float, float]], ceilings: list[tuple[int, float]],
                 runner: tuple[int, float] | None) -> None:
    copy_rate_, rebuild_rate = stored / copy_s, stored / rebuild_s
    rows = [["(a) COPY … ORDER BY notification_id TO STDOUT", f"{copy_s:.1f}",
             f"{copy_rate_:,.0f}", "1.000×"]]
    rows += [[f"ceiling: read + decode only, {n} process{'es' if n > 1 else ''}",
              f"{stored / rate:.1f}", f"{rate:,.0f}", f"{rate / copy_rate_:.3f}×"]
             for n, rate in ceilings]
    rows.append(["(b) Projector.rebuild() of all read models", f"{rebuild_s:.1f}",
                 f"{rebuild_rate:,.0f}", f"{rebuild_rate / copy_rate_:.4f}×"])
    if runner:
        applied, seconds = runner
        label = f"eventsourcing ProjectionRunner, one event per transaction ({applied:,} events)"
        rows.append([label, f"{seconds:.1f}",
                     f"{applied / seconds:,.0f}", f"{applied / seconds / copy_rate_:.5f}×"])
    print_table(f"Rebuild: {stored:,} stored events ({size / 2**20:,.0f} MiB as COPY text), "
                f"{len(READ_MODELS)} read models", ["measure", "seconds", "events/s", "× COPY"],
                rows)
    ratio = rebuild_rate / copy_rate_
    verdict = "[green]meets[/green]" if ratio >= 0.25 else "[red]below[/red]"
    console.print(f"ratio rebuild/COPY = [bold]{ratio:.3f}×[/bold] ({verdict} the 0.25× target)")
    if runner and runner[0]:
        stock = runner[0] / runner[1]
        console.print(f"our rebuild / stock runner = [bold]{rebuild_rate / stock:.1f}×[/bold]; "
                      f"stock runner / COPY = {stock / copy_rate_:.5f}×")
    print_table(f"RSS during the rebuild (MiB; {rss_before:.0f} before it)",
                ["progress", "RSS at mark", "peak since previous mark"],
                [[label, f"{now:.0f}", f"{peak:.0f}"] for label, now, peak in quarters])


if __name__ == "__main__":
    main()
